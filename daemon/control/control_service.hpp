// Monitoring and control of a running daemon, in one place: mode 6 on the server sockets
// (ControlUdp), the local control socket (resync, JSON snapshot) and the Prometheus endpoint.
// All three read the same MonitorSnapshot, built on the engine thread from the sync client, the
// published server state and the counters. The engine owns one and wires it to its workers.
#pragma once

#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "daemon/common/asio.hpp"
#include "daemon/control/control_socket.hpp"
#include "daemon/control/control_udp.hpp"
#include "daemon/policy/monitor/control_snapshot.hpp"
#include "daemon/policy/monitor/history.hpp"
#include "daemon/policy/server/client_table.hpp"
#include "daemon/policy/server/counters.hpp"
#include "daemon/policy/server/state_publisher.hpp"

namespace ntplite::daemon {

class SyncClient;
class MetricsHttp;

class ControlService {
  public:
    /// Where the facts come from; called on the engine thread.
    struct Sources {
        const StatePublisher* state = nullptr;           ///< what the server advertises
        std::function<SyncClient*()> sync;               ///< nullptr without [[source]]
        std::function<CounterTotals()> server_counters;  ///< summed over the workers
        /// Appends every worker's client records (any order, unmerged) to the vector and adds
        /// the workers' table slots and evictions to the two totals.
        std::function<void(std::vector<ClientRecord>&, std::size_t* slots, uint64_t* evictions)>
            clients;
        /// The NTS-KE server's counters; empty (or nullopt) without [nts] certificate.
        std::function<std::optional<NtsKeServerTotals>()> nts_server;
    };

    ControlService(asio::io_context& io, const config::Config& cfg, Sources sources);
    ~ControlService();

    /// Opens the control socket and the metrics endpoint when configured.
    std::expected<void, std::string> start();
    /// Closes them (the socket file is removed).
    void stop();
    /// A reload changed the config this service reads (the engine's, already replaced; `old` is
    /// the previous one): applies [control] allow, and re-opens the control socket or the
    /// metrics endpoint whose settings changed. Error: what could not be re-opened.
    std::expected<void, std::string> reload(const config::Config& old);

    /// For the server workers: mode 6 datagrams go here.
    ControlUdp* udp() { return &udp_; }
    /// Everything monitoring reports, now (engine thread).
    MonitorSnapshot snapshot() const;
    /// Bursts every source (engine thread); error when there is nothing to poll.
    std::expected<std::size_t, std::string> resync();
    /// The "clients" document of the control socket (engine thread).
    std::string clients_text() const;
    /// Clients listed at most (the busiest first): bounds the control socket's answer.
    static constexpr std::size_t kMaxClientsListed = 1000;

  private:
    /// Once a second: records the latest clock update into history_ (if there is a new one).
    void sample_history();

    asio::io_context& io_;
    const config::Config& cfg_;
    Sources sources_;
    SystemSnapshot platform_;  ///< version/processor/system, read once
    ControlUdp udp_;
    ControlSocket socket_;
    std::unique_ptr<MetricsHttp> metrics_;
    History history_;
    static constexpr std::size_t kMaxCachedRoutes = 256;
    mutable std::map<std::string, std::string> local_addresses_;  ///< "addr|port" -> dstadr
    int64_t last_sampled_update_ns_ = 0;
    asio::steady_timer history_timer_;
};

}  // namespace ntplite::daemon
