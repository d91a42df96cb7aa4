// The Prometheus endpoint: a minimal HTTP/1.1 server (Boost.Beast) on the engine's io_context.
// GET /metrics answers metrics_text() of a fresh MonitorSnapshot, GET / the status page
// (render_status_page) and GET /api/snapshot the control socket's JSON; anything else is 404/405.
// One request per connection, bounded request size and a read deadline, so a slow or hostile
// client cannot hold the engine thread or memory.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/net.hpp"
#include "daemon/common/asio.hpp"
#include "daemon/control/accept_guard.hpp"
#include "daemon/control/metrics_request.hpp"
#include "daemon/policy/monitor/control_snapshot.hpp"
#include "daemon/policy/monitor/history.hpp"

namespace ntplite::daemon {

class MetricsHttp {
  public:
    using SnapshotFn = std::function<MonitorSnapshot()>;
    /// Connections served at once; more wait in the kernel's backlog (issue 14).
    static constexpr std::size_t kMaxConnections = 64;
    /// One exchange (request in, answer out) must finish within this, or it is closed.
    static constexpr std::chrono::seconds kSessionDeadline{5};
    /// listen() backlog (was 16: SYN retries under load).
    static constexpr int kListenBacklog = 1024;
    /// The chart points up to local Unix ns `now`.
    using HistoryFn = std::function<std::vector<HistoryPoint>(int64_t now_ns)>;
    MetricsHttp(asio::io_context& io, SnapshotFn snapshot, HistoryFn history = {});

    /// What GET `path` (query string already removed) answers: the status page at /, the
    /// metrics at /metrics, the JSON snapshot at /api/snapshot; nullopt -> 404.
    std::optional<HttpAnswer> route(std::string_view path) const;
    ~MetricsHttp();

    /// Listens on `where` (an address and port).
    std::expected<void, std::string> open(const config::ListenSpec& where);
    void close();
    /// The bound port (useful with port 0 in tests).
    uint16_t port() const;

  private:
    void accept();

    asio::io_context& io_;
    SnapshotFn snapshot_;
    HistoryFn history_;
    std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
    AcceptGuard guard_{io_, "metrics listener", kMaxConnections};
};

}  // namespace ntplite::daemon
