// ntpd-lite's engine (edge): owns the state publisher, the server workers (daemon/server/), the
// sync client (daemon/sync/), monitoring (daemon/control/), timers and signals. Everything but
// the server workers runs on one io_context thread (the engine thread). Construction order is
// start order; destruction stops the workers before what they borrow.
// Served state: the sync client is its single writer: whatever the pure core decides to serve
// (synchronized, holdover, the [local] fallback or unsynchronized) is published verbatim. Nothing
// here decides: the decisions live in the pure targets (clock/, daemon/policy/), this wires them.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "daemon/common/asio.hpp"
#include "daemon/control/control_service.hpp"
#include "daemon/policy/server/acl.hpp"
#include "daemon/policy/server/counters.hpp"
#include "daemon/policy/server/state_publisher.hpp"
#include "daemon/server/server_worker.hpp"
#include "daemon/signals.hpp"
#include "daemon/sync/sync_client.hpp"

namespace ntplite::daemon {

class Engine {
  public:
    /// How often the counter summary is logged at debug level.
    static constexpr int kSummaryInterval_s = 60;

    explicit Engine(config::Config cfg);
    ~Engine();

    /// Opens every listening socket and starts the worker threads. Error: what could not be opened.
    std::expected<void, std::string> start();
    /// Runs timers and signal handling on the calling thread until SIGTERM/SIGINT or stop().
    void run();
    /// Asks run() to return (thread-safe).
    void stop();

    /// What the server threads currently advertise.
    proto::SystemState advertised_state() const { return state_.read(); }
    /// Counters of every worker, summed.
    CounterTotals totals() const;
    std::size_t worker_count() const { return workers_.size(); }
    /// The client half (after start()), for monitoring: call its snapshot() on the engine
    /// thread.
    const SyncClient* sync() const { return sync_.get(); }

  private:
    void schedule_summary();
    void shutdown(int signal);

    config::Config cfg_;
    asio::io_context io_{1};
    StatePublisher state_;
    int8_t precision_log2_;
    std::vector<std::unique_ptr<Acl>> acls_;  ///< one per [[server]] table, shared by its workers
    /// Monitoring (mode 6, control socket, metrics); before the workers, which borrow it.
    std::unique_ptr<ControlService> control_;
    std::vector<std::unique_ptr<ServerWorker>> workers_;
    asio::steady_timer summary_timer_{io_};
    std::optional<SignalHandler> signals_;
    std::unique_ptr<SyncClient> sync_;  ///< last: destroyed first, its handlers use the above
};

/// log2 of the time one clock read takes (rounded up), what NTP calls the clock's precision.
int8_t measure_precision_log2();

}  // namespace ntplite::daemon
