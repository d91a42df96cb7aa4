// Asynchronous name resolution for upstream sources. Asio runs getaddrinfo on its own internal
// thread, so a slow or dead DNS never blocks the engine's io_context; results come back as a
// handler on the io_context thread.
// The simulator-compatible build (NTPLITE_SIMULATOR_COMPAT) has no resolver thread: it calls
// getaddrinfo synchronously on the engine thread (instant for address literals, the usual case
// under a network simulator) and posts the handler, so callers see the same order of events.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/common/asio.hpp"
#include "daemon/policy/sync/sync_config.hpp"

namespace ntplite::daemon {

/// Converts an Asio address (IPv4, IPv6 or IPv4-mapped IPv6) to the config's IpAddress.
config::IpAddress to_ip(const asio::ip::address& a);
/// And back: IPv4-mapped values become plain IPv4 endpoints (so v4 sockets are used for them).
asio::ip::udp::endpoint to_endpoint(const SourceAddress& a);

class Resolver {
  public:
    /// Called once per resolve() on the io_context thread: the distinct addresses in resolver
    /// order (IPv4 and IPv6), or an error message (and no addresses). Not called after cancel().
    using Handler = std::function<void(std::vector<SourceAddress>, std::string error)>;

#if defined(NTPLITE_SIMULATOR_COMPAT)
    explicit Resolver(asio::io_context& io) : io_(io) {}
#else
    explicit Resolver(asio::io_context& io) : resolver_(io) {}
#endif
    /// Resolve `host` (a name or an address literal) for UDP port `port`.
    void resolve(const std::string& host, uint16_t port, Handler handler);
    /// Abandons every pending resolution; their handlers never run.
    void cancel();

  private:
#if defined(NTPLITE_SIMULATOR_COMPAT)
    asio::io_context& io_;
    /// Bumped by cancel(); posted handlers of an older generation (or a destroyed resolver) are
    /// dropped.
    std::shared_ptr<uint64_t> generation_ = std::make_shared<uint64_t>(0);
#else
    asio::ip::udp::resolver resolver_;
#endif
};

}  // namespace ntplite::daemon
