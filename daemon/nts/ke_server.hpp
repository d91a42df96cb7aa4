// NTS-KE server (RFC 8915 section 4): TLS 1.3 listeners that hand out kKeMaxCookies cookies
// per session. Runs on its own thread and io_context, so TLS handshakes never delay the engine
// or the NTP server workers. Bounded: at most max_connections sessions (AcceptGuard: at the cap
// the oldest connection still in its handshake is closed for the newcomer), each within
// session_deadline, each request at most kKeMaxMessage bytes.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/common/asio.hpp"
#include "daemon/control/accept_guard.hpp"
#include "daemon/nts/key_store.hpp"
#include "daemon/nts/tls.hpp"
#include "daemon/policy/server/counters.hpp"
#include "proto/nts/crypto/aes_siv.hpp"
#include "proto/nts/ke_failure.hpp"

namespace ntplite::daemon::nts {

struct KeServerSettings {
    std::string certificate;  ///< PEM certificate chain
    std::string private_key;  ///< PEM private key
    std::vector<asio::ip::tcp::endpoint> listen;
    std::string ntp_server;            ///< advertised NTPv4 server ("" = the KE address)
    std::optional<uint16_t> ntp_port;  ///< advertised NTPv4 port (absent = 123)
    std::size_t max_connections = 64;  ///< sessions at once (see AcceptGuard)
    std::chrono::milliseconds session_deadline{5000};  ///< whole session, handshake included
};

/// Counters of the NTS-KE server. Each is written only on the KE thread, where the fact is
/// decided (single-writer Counter: relaxed load + store), and read by monitoring on the engine
/// thread at any time.
struct KeServerCounters {
    Counter accepted;        ///< TCP connections accepted
    Counter accept_errors;   ///< accept() failures
    Counter handshakes;      ///< TLS 1.3 handshakes completed with ALPN ntske/1
    Counter sessions;        ///< requests answered with cookies
    Counter cookies_issued;  ///< cookies handed out
    std::array<Counter, proto::nts::kKeServerFailureKinds> failures;  ///< by KeServerFailure

    void fail(proto::nts::KeServerFailure kind) { failures[static_cast<std::size_t>(kind)].bump(); }
    uint64_t failed(proto::nts::KeServerFailure kind) const {
        return failures[static_cast<std::size_t>(kind)].get();
    }
    /// A plain copy (the key fields are left for the owner of the keys).
    NtsKeServerTotals totals() const;
};

class KeServer {
  public:
    KeServer(KeServerSettings settings, const KeyRingPublisher& keys);
    ~KeServer();
    KeServer(const KeServer&) = delete;
    KeServer& operator=(const KeServer&) = delete;

    /// Loads the certificate and key and binds the listeners (before privileges are dropped).
    std::expected<void, std::string> open();
    /// Starts the KE thread.
    void start();
    /// A reload: new connections use `tls` (a renewed certificate); sessions under way finish
    /// with the context they started with. Swapped on the KE thread (thread-safe).
    void replace_tls(std::shared_ptr<ssl::context> tls);
    /// A reload: the NTPv4 server and port advertised from now on (thread-safe).
    void set_advertised(std::string ntp_server, std::optional<uint16_t> ntp_port);
    const KeServerCounters& counters() const { return counters_; }
    /// The bound listeners (after open(); port 0 in the settings gets the kernel's choice).
    std::vector<asio::ip::tcp::endpoint> endpoints() const;

    // Used by the sessions (KE thread only).
    struct Session;
    void serve(std::shared_ptr<Session> s);
    void read_request(std::shared_ptr<Session> s);
    std::size_t answer(Session& s);

  private:
    void accept_next(std::size_t i);

    KeServerSettings settings_;
    const KeyRingPublisher& keys_;
    asio::io_context io_{1};
    std::shared_ptr<ssl::context> tls_;  ///< KE thread only (after start())
    std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
    std::vector<std::unique_ptr<AcceptGuard>> guards_;  ///< one per acceptor
    std::thread thread_;
    KeServerCounters counters_;
    proto::nts::AesSiv aead_;
    proto::nts::KeyRing ring_;
    uint64_t ring_version_ = 0;
};

}  // namespace ntplite::daemon::nts
