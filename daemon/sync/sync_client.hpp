// The daemon's client half: carries out what the pure sync core (clock::SyncEngine) decides.
// Per source it owns a poll timer and, per request, a fresh connected UDP socket (a new random
// source port each time; replies from any other address or port never reach it). Receive times
// come from the kernel (SO_TIMESTAMPNS). Names are resolved asynchronously; pool members that go
// bad are replaced by resolving again. After every update the SystemState is published to the
// server threads. Everything runs on the engine's io_context thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clock/engine.hpp"
#include "clock/random.hpp"
#include "clock/system_clock.hpp"
#include "config/config.hpp"
#include "daemon/common/asio.hpp"
#include "daemon/nts/client_source.hpp"
#include "daemon/policy/sync/sync_config.hpp"
#include "daemon/policy/sync/sync_pool.hpp"
#include "daemon/sync/clock_setup.hpp"
#include "daemon/sync/resolver.hpp"

namespace ntplite::daemon {

/// What monitoring sees of the client half at one instant (a copy).
struct SyncSnapshot {
    int64_t time_ns = 0;         ///< local Unix ns when taken
    clock::SystemStatus status;  ///< the core's decision: synchronized / holdover / local / ...
    bool clock_adjusts = false;  ///< false in observe mode (NullClock)
    int updates = 0;             ///< clock updates so far
    proto::SystemState system;   ///< what the server advertises now
    std::optional<clock::UpdateInfo> last_update;
    std::vector<clock::SourceSnapshot> sources;  ///< live sources only
};

/// A configured [[source]] name that does not resolve (shown by monitoring as a row).
struct UnresolvedSource {
    std::string host;  ///< the name as configured
    uint16_t port = 123;
    std::string error;  ///< the resolver's last error
};

/// The addresses of this host's interfaces (getifaddrs), for time-loop detection.
std::vector<config::IpAddress> local_interface_addresses();

class SyncClient {
  public:
    /// How often the core is ticked and the SystemState re-published between inputs (root
    /// dispersion grows, holdover runs out, the local fallback's reference time moves).
    static constexpr int kRepublishInterval_ms = 1000;

    /// Hands what the core says to serve to the server threads (Engine::publish_state): called
    /// after every input and every kRepublishInterval_ms.
    using PublishFn = std::function<void(const proto::SystemState&)>;

    /// `io` and `cfg` must outlive the client. Nothing starts before start().
    SyncClient(asio::io_context& io, const config::Config& cfg, PublishFn publish,
               int8_t precision_log2);
    /// Never throws: the drift file is saved in stop(), whose failures are logged.
    ~SyncClient() noexcept;
    /// What source authenticators are built from (the keys file); before start(). NTS
    /// authenticators are added here (their state is shared with the key exchange at the edge).
    void set_auth_context(auth::ClientAuthContext ctx);
    /// A reload with a new keys file (null = none): symmetric-key sources MAC with it from
    /// their next request on (SyncEngine::replace_keys). Call before apply_sources().
    void replace_keys(std::shared_ptr<const auth::KeySet> keys);
    SyncClient(const SyncClient&) = delete;
    SyncClient& operator=(const SyncClient&) = delete;

    /// Resolves every [[source]] and starts polling.
    void start();
    /// Closes every socket and cancels every timer and resolution (run() can then return).
    void stop();

    /// True if the config has at least one [[source]] table.
    bool has_sources() const;
    /// A reload: [[source]] tables compared with the running ones by their settings
    /// (authentication included: key, nts, trusted_ca, ke_port). Unchanged
    /// sources keep their state (reach, filter, poll); removed or changed ones stop (their
    /// addresses leave the core); new or changed ones start as at start-up. Logged per source.
    void apply_sources(const std::vector<config::SourceConfig>& sources);

    /// [[source]] tables whose name does not resolve now and that have no address in use.
    std::vector<UnresolvedSource> unresolved() const;
    /// A copy of the system and per-source state (call on the io_context thread).
    SyncSnapshot snapshot() const;
    /// Resync (control socket): every source starts a burst now, unless its last one is less
    /// than a minimum poll old (coalesced in the core), and names that failed to resolve are
    /// resolved again. Returns how many sources burst.
    std::size_t resync();
    /// The core, read-only, for monitoring (call on the io_context thread).
    const clock::SyncEngine& engine() const { return *engine_; }
    /// Local Unix ns on the clock the core uses.
    int64_t clock_now_ns() const { return now_ns(); }
    /// Logs the whole state: one line for the system, one per source (SIGUSR1).
    void log_state() const;
    /// The core's system status now.
    clock::SystemStatus status() const { return engine_->status(clock::LocalTime{now_ns()}); }

  private:
    struct Group;
    struct Member {
        clock::SourceId id = 0;
        std::size_t group = 0;
        SourceAddress address;
        asio::ip::udp::endpoint endpoint;
        std::unique_ptr<asio::ip::udp::socket> socket;  // the current request's socket
        uint64_t socket_generation = 0;                 // stale wait handlers compare this
        asio::steady_timer timer;
        std::unique_ptr<nts::ClientSource> nts;  ///< NTS sources: key exchange, NTP endpoint
        explicit Member(asio::io_context& io) : timer(io) {}
    };

    int64_t now_ns() const { return clock_->now_ns(); }
    void resolve(std::size_t group);
    void on_resolved(std::size_t group, std::vector<SourceAddress> addrs, const std::string& err);
    void schedule_resolve(std::size_t group, int64_t delay_ns);
    void add_member(std::size_t group, const SourceAddress& addr);
    void drop_member(clock::SourceId id, DropReason why);
    /// An NTS source finished a key exchange: its NTP endpoint may change; poll it now.
    void on_nts_keyed(clock::SourceId id);
    /// Carries out one update of the core: IO actions, logs, pool verdicts, publishing.
    void carry_out(const clock::EngineUpdate& up);
    void log_update(const clock::EngineUpdate& up) const;
    std::string source_name(clock::SourceId id) const;
    void execute(clock::SourceId id, const clock::SourceActions& a);
    bool send_request(Member& m, std::span<const std::byte> request);
    void arm_timer(Member& m, int64_t at_ns);
    void wait_readable(Member& m);
    void receive(clock::SourceId id, uint64_t generation);
    void schedule_republish();
    /// (Re-)arms slew_timer_ for the clock's slew deadline (a fast slew must end on time).
    void arm_slew_timer();
    void publish();

    asio::io_context& io_;
    const config::Config& cfg_;
    PublishFn publish_;
    /// The SystemClock for [clock] mode (daemon/clock_setup.hpp), with the drift file, leap
    /// and kernel-status duties around the core.
    std::unique_ptr<ClockSetup> clock_setup_;
    clock::SystemClock* clock_;
    std::unique_ptr<clock::Random> rng_;
    std::unique_ptr<clock::SyncEngine> engine_;
    std::vector<std::unique_ptr<Group>> groups_;
    std::map<clock::SourceId, std::unique_ptr<Member>> members_;
    asio::steady_timer republish_timer_;
    asio::steady_timer slew_timer_;
    std::optional<int64_t> slew_timer_at_ns_;  // deadline slew_timer_ is armed for
    bool stopped_ = false;
    uint64_t rx_datagrams_ = 0;
    uint64_t rx_errors_ = 0;
    uint64_t tx_errors_ = 0;
};

}  // namespace ntplite::daemon
