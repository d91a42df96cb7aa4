// The local control socket (Unix domain, stream): what must not be reachable from the network.
// One request line per connection, one JSON document back, then the daemon closes:
//   "resync"   -> {"ok": true, "sources": N, "message": "..."} or {"ok": false, "error": "..."}
//   "snapshot" -> snapshot_json() (system, sources, counters)
//   "clients"  -> clients_json() (the addresses the server has seen, most requests first)
// Runs on the engine's io_context; permissions of the socket file come from [control].
#pragma once

#include <sys/types.h>

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/common/asio.hpp"
#include "daemon/control/accept_guard.hpp"
#include "daemon/policy/monitor/control_snapshot.hpp"

namespace ntplite::daemon {

/// If a process accepts connections on the Unix socket at `path`, its pid (from SO_PEERCRED; 0
/// if unknown), else nullopt: a socket file nobody listens on is a leftover of a crash.
std::optional<pid_t> live_socket_owner(const std::string& path);

class ControlSocket {
  public:
    using SnapshotFn = std::function<MonitorSnapshot()>;
    /// Starts a burst on every source; returns how many, or why it cannot.
    using ResyncFn = std::function<std::expected<std::size_t, std::string>()>;
    /// The "clients" document (JSON text, one line).
    using ClientsFn = std::function<std::string()>;
    /// Longest request line accepted.
    static constexpr std::size_t kMaxRequest = 256;
    /// Connections served at once; more wait in the kernel's backlog (issue 14).
    static constexpr std::size_t kMaxConnections = 32;
    /// One exchange (request line in, reply out) must finish within this, or it is closed.
    static constexpr std::chrono::seconds kSessionDeadline{5};
    /// listen() backlog: room for a burst of clients without SYN-style retries.
    static constexpr int kListenBacklog = 128;

    ControlSocket(asio::io_context& io, SnapshotFn snapshot, ResyncFn resync,
                  ClientsFn clients = {});
    ~ControlSocket();

    /// Binds `path` (a stale socket file is replaced), sets its mode, starts accepting.
    std::expected<void, std::string> open(const std::string& path, uint32_t mode);
    /// Stops accepting and removes the socket file.
    void close();

    /// Sessions open now, and accept() calls that failed for lack of resources (EMFILE...).
    std::size_t active_sessions() const { return guard_.active(); }
    uint64_t accept_resource_errors() const { return guard_.resource_errors(); }
    /// Idle sessions closed to make room for a new connection at the cap.
    uint64_t evicted_sessions() const { return guard_.evicted(); }

    /// The reply to one request line (pure apart from calling the two functions).
    std::string handle(std::string_view line);

  private:
    void accept();

    asio::io_context& io_;
    SnapshotFn snapshot_;
    ResyncFn resync_;
    ClientsFn clients_;
    std::unique_ptr<asio::local::stream_protocol::acceptor> acceptor_;
    std::string path_;
    uint64_t inode_ = 0;  ///< of the socket file we created: close() removes only that one
    AcceptGuard guard_{io_, "control socket", kMaxConnections};
};

}  // namespace ntplite::daemon
