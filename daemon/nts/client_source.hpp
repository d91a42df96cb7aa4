// One NTS source at the edge (engine thread): its key exchanges (SourceKeying, with backoff) and
// the NTP endpoint they negotiate. The engine's authenticator shares `shared()`; after every
// engine update the sync client calls poll(), which starts a key exchange when the
// authenticator asked for one (no keys yet, cookies exhausted, NTS NAK).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "daemon/common/asio.hpp"
#include "daemon/nts/source_keying.hpp"
#include "proto/nts/crypto/client_shared.hpp"

namespace ntplite::daemon::nts {

class ClientSource {
  public:
    /// `address` is the resolved server, `name` the configured host (checked against the
    /// certificate), `default_ntp_port` the NTP port when NTS-KE names none. `on_keyed` runs
    /// after each successful key exchange (the NTP endpoint may have changed).
    ClientSource(asio::io_context& io, std::shared_ptr<ssl::context> tls,
                 const asio::ip::address& address, uint16_t ke_port, uint16_t default_ntp_port,
                 std::string name, std::function<void()> on_keyed);

    std::shared_ptr<proto::nts::NtsClientShared> shared() const { return shared_; }
    /// Where NTP requests go: the negotiated server (an address literal; a host name other than
    /// the configured one is not resolved and keeps the address) and port.
    const asio::ip::udp::endpoint& ntp_endpoint() const { return ntp_endpoint_; }
    void poll();
    void set_on_keyed(std::function<void()> f) { on_keyed_ = std::move(f); }
    KeyingStatus keying_status() const { return keying_.status_now(); }

  private:
    void keyed(std::unique_ptr<KeResult> r);

    std::shared_ptr<proto::nts::NtsClientShared> shared_ =
        std::make_shared<proto::nts::NtsClientShared>();
    asio::ip::address address_;
    uint16_t default_ntp_port_;
    std::string name_;
    std::function<void()> on_keyed_;
    asio::ip::udp::endpoint ntp_endpoint_;
    SourceKeying keying_;
};

/// A client TLS context per trusted CA file ("" = the system store), made once (until
/// forget_client_contexts()). Engine thread only.
std::expected<std::shared_ptr<ssl::context>, std::string> client_context_for(
    const std::string& trusted_ca);
/// A reload: NTS sources created from now on read their trusted CA files again (running
/// sources keep the context they hold). Engine thread only.
void forget_client_contexts();

}  // namespace ntplite::daemon::nts
