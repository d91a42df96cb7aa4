// The daemon's one engine: owns the state publisher, the server workers, timers and signals.
// Construction order is start order; destruction stops the workers before what they borrow.
// The sync half (sources, selection, discipline) plugs in later as the single writer of
// state(): today the engine itself publishes "unsynchronized" or, with [local] stratum, the
// local reference.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "daemon/acl.hpp"
#include "daemon/asio.hpp"
#include "daemon/counters.hpp"
#include "daemon/server_worker.hpp"
#include "daemon/signals.hpp"
#include "daemon/state_publisher.hpp"

namespace ntplite::daemon {

class Engine {
public:
    /// How often the counter summary is logged at debug level.
    static constexpr int kSummaryInterval_s = 60;
    /// How often the local reference state is refreshed (its reference time is "now").
    static constexpr int kLocalRefresh_s = 1;

    explicit Engine(config::Config cfg);
    ~Engine();

    /// Opens every listening socket and starts the worker threads. Error: what could not be opened.
    std::expected<void, std::string> start();
    /// Runs timers and signal handling on the calling thread until SIGTERM/SIGINT or stop().
    void run();
    /// Asks run() to return (thread-safe).
    void stop();

    /// The single-writer seam for the sync engine.
    StatePublisher& state() { return state_; }
    /// Counters of every worker, summed.
    CounterTotals totals() const;
    std::size_t worker_count() const { return workers_.size(); }

private:
    void publish_initial_state();
    void schedule_local_refresh();
    void schedule_summary();
    void shutdown(int signal);

    config::Config cfg_;
    asio::io_context io_{1};
    StatePublisher state_;
    int8_t precision_log2_;
    std::vector<std::unique_ptr<Acl>> acls_;  ///< one per [[server]] table, shared by its workers
    std::vector<std::unique_ptr<ServerWorker>> workers_;
    asio::steady_timer local_timer_{io_};
    asio::steady_timer summary_timer_{io_};
    std::optional<SignalHandler> signals_;
};

/// log2 of the time one clock read takes (rounded up), what NTP calls the clock's precision.
int8_t measure_precision_log2();

}  // namespace ntplite::daemon
