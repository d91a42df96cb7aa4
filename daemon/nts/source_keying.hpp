// NTS-KE for one client source (engine thread): runs key exchanges on demand, never more than
// one at a time, with exponential backoff after failures (kMinBackoff doubling to kMaxBackoff),
// and hands each success and each typed failure to the caller (which counts them by kind for
// monitoring: proto::nts::NtsClientShared). Keeps the last failure's reason for its log. Until a
// key exchange succeeds the source has no keys, so it cannot send (the authenticator refuses to
// seal): plain NTP is never used instead.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "daemon/common/asio.hpp"
#include "daemon/nts/ke_client.hpp"

namespace ntplite::daemon::nts {

/// Monitoring view of one NTS source's key exchanges.
struct KeyingStatus {
    std::string last_failure;  ///< "certificate: ..." ("" = none yet / last succeeded)
    bool in_progress = false;
    int64_t next_attempt_in_s = 0;  ///< > 0 while backing off
};

class SourceKeying {
  public:
    static constexpr std::chrono::seconds kMinBackoff{2};
    static constexpr std::chrono::seconds kMaxBackoff{1024};
    using Success = std::function<void(std::unique_ptr<KeResult>)>;
    using Failure = std::function<void(const KeError&)>;

    /// `server` is the NTS-KE endpoint, `name` what its certificate must be for.
    SourceKeying(asio::io_context& io, std::shared_ptr<ssl::context> tls,
                 asio::ip::tcp::endpoint server, std::string name, Success on_success,
                 Failure on_failure);
    ~SourceKeying();

    /// Asks for a key exchange: now if none is running and no backoff is pending, else when the
    /// backoff ends. Idempotent.
    void request();
    const KeyingStatus& status() const { return status_; }
    KeyingStatus status_now() const;

  private:
    void run();
    void done(std::expected<std::unique_ptr<KeResult>, KeError> r);

    asio::io_context& io_;
    std::shared_ptr<ssl::context> tls_;
    asio::ip::tcp::endpoint server_;
    std::string name_;
    Success on_success_;
    Failure on_failure_;
    std::shared_ptr<KeClient> client_;
    asio::steady_timer backoff_timer_;
    std::chrono::seconds backoff_{0};
    std::chrono::steady_clock::time_point backoff_until_{};
    bool waiting_ = false;
    KeyingStatus status_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace ntplite::daemon::nts
