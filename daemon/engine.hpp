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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "daemon/common/asio.hpp"
#include "daemon/common/exit_codes.hpp"
#include "daemon/common/systemd_notify.hpp"
#include "daemon/control/control_service.hpp"
#include "daemon/nts/server_service.hpp"
#include "daemon/policy/server/acl.hpp"
#include "daemon/policy/server/counters.hpp"
#include "daemon/policy/server/state_publisher.hpp"
#include "daemon/server/server_worker.hpp"
#include "daemon/signals.hpp"
#include "daemon/sync/sync_client.hpp"

namespace ntplite::daemon {

/// Why start() failed: the exit status to use and the message to log.
struct StartError {
    ExitCode code = ExitCode::kStartup;
    std::string message;
};

class Engine {
  public:
    /// Runs once every socket, the control socket and the clock are open and before any thread
    /// starts: where the daemon drops root (capabilities are per thread).
    using BeforeThreadsFn = std::function<std::expected<void, StartError>()>;

    /// How often the counter summary is logged at debug level.
    static constexpr int kSummaryInterval_s = 60;

    explicit Engine(config::Config cfg);
    ~Engine();

    /// Opens every listening socket (refusing an address:port another process uses), the
    /// control socket and the clock, calls `before_threads`, then starts the worker threads and
    /// the sync client and tells systemd READY=1. Error: what failed and the exit status.
    std::expected<void, StartError> start(BeforeThreadsFn before_threads = {});
    /// SIGHUP: re-reads the config file, the [auth] keyfile and the [nts] certificate and key
    /// (each only if its path or file changed). An invalid file, a keys file that does not
    /// read or parse, a source whose key is not in it, or a certificate that does not load
    /// refuses the reload whole (errors logged, the running configuration and keys kept);
    /// otherwise sources, access lists, rate limits, [log] level, [control], [metrics], the
    /// symmetric keys (client MACs and the workers' checks) and the NTS-KE certificate are
    /// applied, and every other change is logged as needing a restart (plan_reload decides).
    /// Returns false if the reload was refused. Engine thread.
    bool reload();
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
    /// One line for systemd's STATUS= (synchronized to X / holdover / local / unsynchronized).
    std::string status_text() const;
    void schedule_watchdog();
    /// Opens the [[server]] sockets (workers not started yet).
    std::expected<void, StartError> open_servers();
    std::expected<void, StartError> load_keys();
    /// Identity of a file's content as stat() sees it: a reload re-reads a file only when its
    /// path or this changed (stat needs no read permission after the privilege drop).
    struct FileStamp {
        uint64_t dev = 0, ino = 0, size = 0;
        int64_t mtime_ns = 0, ctime_ns = 0;
        bool exists = false;
        bool operator==(const FileStamp&) const = default;
    };
    static FileStamp stamp_of(const std::string& path);
    /// What the sync client hands over: published to the workers, STATUS= when it changed.
    void publish_state(const proto::SystemState& s);
    void schedule_summary();
    void shutdown(int signal);

    config::Config cfg_;
    asio::io_context io_{1};
    StatePublisher state_;
    int8_t precision_log2_;
    /// One per [[server]] table, shared by its workers (a reload swaps in new ones).
    std::vector<std::shared_ptr<const Acl>> acls_;
    /// [auth] keyfile, read once at start (as root, before the privilege drop); null = none.
    std::shared_ptr<const auth::KeySet> keys_;
    FileStamp keyfile_stamp_;      ///< of cfg_.auth.keyfile when keys_ was read
    FileStamp certificate_stamp_;  ///< of cfg_.nts.certificate when it was loaded
    FileStamp private_key_stamp_;  ///< of cfg_.nts.private_key when it was loaded
    /// The workers of [[server]] table i are workers_[worker_begin_[i] .. worker_begin_[i+1]).
    std::vector<std::size_t> worker_begin_;
    SystemdNotifier notifier_;
    asio::steady_timer watchdog_timer_{io_};
    /// NTS server ([nts] with a certificate): master keys and NTS-KE; before the workers, which
    /// borrow its key ring.
    std::unique_ptr<nts::ServerService> nts_server_;
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
