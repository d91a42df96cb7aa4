// The NTS server at the edge ([nts] with a certificate): the master keys (key file, rotation
// timer on the engine thread, published to the NTP server workers and the NTS-KE thread) and the
// NTS-KE server. Owned by the engine; open() before privileges are dropped, start() after.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "daemon/common/asio.hpp"
#include "daemon/nts/ke_server.hpp"
#include "daemon/nts/key_store.hpp"

namespace ntplite::daemon::nts {

class ServerService {
  public:
    /// `ntp_port` is advertised to NTS-KE clients when [nts] ntp_port is not set and the NTP
    /// server is not on 123 (0 = none).
    ServerService(asio::io_context& engine_io, const config::NtsConfig& cfg, uint16_t ntp_port);
    ~ServerService();

    /// Key file (loaded, rotated if due, saved), certificate and listeners.
    std::expected<void, std::string> open();
    void start();
    /// A reload (engine thread): `next`'s key rotation interval and advertised NTP server and
    /// port take effect; `tls` (non-null: a renewed certificate and key, already loaded) serves
    /// new NTS-KE connections. Listeners and key file need a restart (the caller keeps them).
    void reload(const config::NtsConfig& next, std::shared_ptr<ssl::context> tls);
    const KeyRingPublisher& keys() const { return publisher_; }
    const KeServerCounters& ke_counters() const { return ke_->counters(); }
    /// The NTS-KE counters with the master key's id, age and rotations (engine thread).
    NtsKeServerTotals totals() const;
    const std::string& key_file() const { return key_file_; }

  private:
    void schedule_rotation();
    void rotate();
    /// The NTPv4 port to advertise for `cfg` (absent = none: clients use 123).
    std::optional<uint16_t> advertised_port(const config::NtsConfig& cfg) const;

    asio::io_context& io_;
    config::NtsConfig cfg_;
    std::string key_file_;
    KeyRingPublisher publisher_;
    uint32_t newest_id_ = 0;
    uint16_t server_ntp_port_ = 0;  ///< the first [[server]]'s port (0 = none)
    int64_t newest_created_unix_s_ = 0;
    uint64_t rotations_ = 0;  ///< newer keys adopted since open() (engine thread)
    std::unique_ptr<KeServer> ke_;
    asio::steady_timer rotation_timer_;
};

}  // namespace ntplite::daemon::nts
