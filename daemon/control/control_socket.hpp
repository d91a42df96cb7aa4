// The local control socket (Unix domain, stream): what must not be reachable from the network.
// One request line per connection, one JSON document back, then the daemon closes:
//   "resync"   -> {"ok": true, "sources": N, "message": "..."} or {"ok": false, "error": "..."}
//   "snapshot" -> snapshot_json() (system, sources, counters)
//   "clients"  -> clients_json() (the addresses the server has seen, most requests first)
// Runs on the engine's io_context; permissions of the socket file come from [control].
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "daemon/common/asio.hpp"
#include "daemon/policy/monitor/control_snapshot.hpp"

namespace ntplite::daemon {

class ControlSocket {
  public:
    using SnapshotFn = std::function<MonitorSnapshot()>;
    /// Starts a burst on every source; returns how many, or why it cannot.
    using ResyncFn = std::function<std::expected<std::size_t, std::string>()>;
    /// The "clients" document (JSON text, one line).
    using ClientsFn = std::function<std::string()>;
    /// Longest request line accepted.
    static constexpr std::size_t kMaxRequest = 256;

    ControlSocket(asio::io_context& io, SnapshotFn snapshot, ResyncFn resync,
                  ClientsFn clients = {});
    ~ControlSocket();

    /// Binds `path` (a stale socket file is replaced), sets its mode, starts accepting.
    std::expected<void, std::string> open(const std::string& path, uint32_t mode);
    /// Stops accepting and removes the socket file.
    void close();

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
};

}  // namespace ntplite::daemon
