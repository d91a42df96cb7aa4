// NTS-KE client (RFC 8915 section 4): one asynchronous key exchange on the caller's io_context
// (never blocks it): TCP connect, TLS 1.3 handshake verifying the certificate and the server's
// name (an IP literal is checked against the certificate's IP addresses), the request, the
// response, key export. Bounded by kDeadline and kKeMaxMessage. The failure kind says which
// step failed, for monitoring (certificate, TLS, the server's Error record = "NAK", ...).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/common/asio.hpp"
#include "daemon/nts/tls.hpp"
#include "proto/nts/crypto/cookie.hpp"
#include "proto/nts/ke_failure.hpp"
#include "proto/nts/ke_record.hpp"

namespace ntplite::daemon::nts {

/// Which step failed (the kinds are pure so monitoring can name them; see ke_failure.hpp).
using KeFailure = proto::nts::KeFailure;
using proto::nts::to_string;

struct KeError {
    KeFailure kind = KeFailure::kConnect;
    std::string detail;
};

/// A successful key exchange.
struct KeResult {
    proto::nts::SessionKeys keys;
    proto::nts::KeResponse response;  ///< cookies, negotiated server and port
};

class KeClient : public std::enable_shared_from_this<KeClient> {
  public:
    static constexpr std::chrono::seconds kDeadline{10};
    using Done = std::function<void(std::expected<std::unique_ptr<KeResult>, KeError>)>;

    KeClient(asio::io_context& io, std::shared_ptr<ssl::context> tls);
    /// Starts the exchange with `server`, verifying the certificate for `name`. `done` runs
    /// exactly once on the io_context, unless cancel() was called first.
    void start(const asio::ip::tcp::endpoint& server, std::string name, Done done);
    /// Abandons the exchange; `done` is not called.
    void cancel();

  private:
    void fail(KeFailure kind, std::string detail);
    void finish(std::expected<std::unique_ptr<KeResult>, KeError> r);
    void read_response();

    asio::io_context& io_;
    std::shared_ptr<ssl::context> tls_;
    std::unique_ptr<ssl::stream<asio::ip::tcp::socket>> stream_;
    asio::steady_timer deadline_;
    Done done_;
    std::string name_;
    std::array<std::byte, proto::nts::kKeMaxMessage> buf_{};
    std::size_t size_ = 0;
    bool timed_out_ = false;
};

/// The AEADs our client offers, in order of preference.
inline constexpr uint16_t kClientAeads[] = {proto::nts::kAeadAesSivCmac256,
                                            proto::nts::kAeadAesSivCmac512};

}  // namespace ntplite::daemon::nts
