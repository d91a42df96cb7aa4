// SyncEngine: the pure facade the daemon drives. Sources + selection + discipline + leap vote in;
// for every input a typed EngineUpdate out (per-source actions and state transitions, the system
// status, kernel status, events, clock updates), plus what the server half serves. No IO and no
// clock reads: every input carries "now" (LocalTime); the clock is read only for its pending
// slew and written only through the SystemClock interface (steps, slews, frequency, leap bits and
// the kernel's sync status, all decided here and nowhere else).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "clock/config.hpp"
#include "clock/discipline.hpp"
#include "clock/leap.hpp"
#include "clock/random.hpp"
#include "clock/selection.hpp"
#include "clock/source.hpp"
#include "clock/status.hpp"
#include "clock/system_clock.hpp"
#include "clock/time.hpp"
#include "proto/respond.hpp"

namespace ntplite::clock {

/// The refid served by the [local] fallback at stratum 2 and above: 127.127.1.1, the classic
/// "local clock" address that chrony also uses; ntpq (ours and ntpsec's) prints it as an
/// address, where the ASCII code LOCL would read as 76.79.67.76 above stratum 1.
inline constexpr uint32_t kLocalFallbackRefid = 0x7F7F0101;
/// At stratum 1 refids are ASCII codes: there the fallback is ".LOCL.", as ntpq shows it.
inline constexpr uint32_t kLocalFallbackRefidStratum1 = 0x4C4F434C;  // "LOCL"

/// One source as monitoring sees it.
struct SourceSnapshot {
    SourceId id = 0;
    std::string name;             ///< display name, e.g. "192.0.2.1:123"
    config::IpAddress address{};  ///< the source's address (typed, never parsed back from name)
    uint16_t port = 123;
    SourceState state = SourceState::kNoSample;
    /// The filter holds a sample now: offset/delay/dispersion (and jitter, root distance) are
    /// measured. False before the first valid reply and after a step cleared the filter; the
    /// values are then 0 and mean nothing (monitoring shows "-" / null, never 0).
    bool has_sample = false;
    int64_t offset_ns = 0;         ///< filtered offset, positive = we are behind the source
    int64_t delay_ns = 0;          ///< round trip of the filtered sample
    int64_t jitter_ns = 0;         ///< filter jitter (floored at the precision)
    int64_t dispersion_ns = 0;     ///< filter dispersion aged to now (empty stages = MAXDISP)
    int64_t root_distance_ns = 0;  ///< RFC 5905 root distance (0: no sample)
    uint8_t reach = 0;             ///< reachability register, newest poll in bit 0
    int8_t poll_log2 = 0;          ///< current poll interval
    uint8_t stratum = 16;          ///< the source's stratum (16 until a valid reply)
    uint32_t refid = 0;            ///< the source's refid (or the kiss code while kissed)
    std::optional<proto::KissCode> kiss;       ///< set while the source's state is due to a KoD
    std::optional<proto::KissCode> last_kiss;  ///< the last KoD ever received (ntpq's `kiss`)
    int64_t last_kiss_time_ns = 0;             ///< local time of the last KoD (0: never)
    int64_t last_reply_time_ns = 0;   ///< local time of the last valid reply (0: none) = when
    int64_t last_sample_time_ns = 0;  ///< local time of the filter's best sample (0: none)
    bool prefer = false;
    auth::AuthStatus auth;  ///< how its replies are authenticated, and what was refused
};

/// The last discipline update (for monitoring and the simulator).
struct UpdateInfo {
    int64_t time_ns = 0;  ///< local time of the update
    Adjustment adjustment;
    int64_t offset_ns = 0;  ///< combined offset fed to the discipline
    std::optional<SourceId> system_peer;
};

class SyncEngine {
  public:
    /// `clock` and `rng` must outlive the engine. `initial_frequency_ppm` is the drift-file value.
    SyncEngine(const EngineConfig& cfg, SystemClock& clock, Random& rng,
               double initial_frequency_ppm = 0.0);

    /// What authenticators are built from (the keys file; NTS inputs). Call before add_source.
    void set_auth_context(auth::ClientAuthContext ctx) { auth_ctx_ = std::move(ctx); }
    /// A reload with a new keys file (null = none): every symmetric-key source gets a new
    /// authenticator from `keys` (its counters kept); sources added later use them too. A reply
    /// to a request sealed with the old secret is then refused once (bad-mac).
    void replace_keys(std::shared_ptr<const auth::KeySet> keys);
    /// Add a source; the returned update carries its first timer and the new status. Its
    /// authenticator (cfg.auth) is built here: the core decides what is authentic.
    EngineUpdate add_source(const SourceConfig& cfg, LocalTime now, SourceId* id);
    /// Stop using a source (pool replacement, config reload). Its id is not reused.
    EngineUpdate remove_source(SourceId id, LocalTime now);
    /// Resync: every live source starts a burst now, unless one is already under way or the
    /// source's last burst started less than its minimum poll ago (coalesced).
    EngineUpdate burst_all(LocalTime now);
    /// The source's poll timer fired.
    EngineUpdate on_timer(SourceId id, LocalTime now);
    /// A datagram from the source's address arrived at local time `t4` (now >= t4).
    EngineUpdate on_response(SourceId id, std::span<const std::byte> datagram, LocalTime t4,
                             LocalTime now);
    /// Called about once a second: holdover expiry, our growing root distance, the leap day.
    EngineUpdate tick(LocalTime now);

    /// What the server half serves at `now` (LI, stratum, refid, root delay/dispersion).
    proto::SystemState system_state(LocalTime now) const;
    /// The system status as last reported (holdover_left_ns refreshed to `now`).
    SystemStatus status(LocalTime now) const;
    /// Every live source, for monitoring.
    std::vector<SourceSnapshot> snapshot(LocalTime now) const;

    /// At least one clock update happened since start.
    bool ever_updated() const { return discipline_.updates() > 0; }
    int updates() const { return discipline_.updates(); }
    const std::optional<UpdateInfo>& last_update() const { return last_update_; }
    const Discipline& discipline() const { return discipline_; }
    /// Combined jitter of the survivors at the last update (ns).
    int64_t system_jitter_ns() const { return sys_jitter_ns_; }
    std::size_t source_count() const { return sources_.size(); }
    const Source* source(SourceId id) const {
        return id < sources_.size() && sources_[id].live ? &sources_[id].source : nullptr;
    }
    const EngineConfig& config() const { return cfg_; }
    /// Live sources with a burst under way (after burst_all: started now or already running).
    std::size_t sources_bursting() const {
        std::size_t n = 0;
        for (const Slot& s : sources_) n += s.live && s.source.bursting() ? 1 : 0;
        return n;
    }
    /// A live source's state as last reported (kNoSample for an unknown id).
    SourceState source_state(SourceId id) const {
        return id < sources_.size() && sources_[id].live ? sources_[id].reported
                                                         : SourceState::kNoSample;
    }

  private:
    struct Slot {
        Source source;
        std::unique_ptr<auth::ClientAuthenticator> auth;
        auth::AuthStatus auth_status;  // counters; kind/key/NTS come from `auth`
        bool live = true;
        Verdict verdict = Verdict::kUnusable;
        SourceState reported = SourceState::kNoSample;
        bool loop_reported = false;
    };
    bool startup_gate_open() const;
    /// Seals the request of `a` (if any) with the slot's authenticator; a failure cancels the
    /// send and is counted.
    void seal(Slot& s, SourceActions& a, LocalTime now);
    void note_auth_failure(Slot& s, auth::AuthFailure f, LocalTime now);
    /// Selection round after a sample of `from`; `feed`: also hand the sample to the discipline
    /// (`held`: a sample the spike gate held back, fed first; `confirmed_change`: the two are a
    /// confirmed move; see ResponseResult).
    void select_and_update(SourceId from, LocalTime now, bool feed, EngineUpdate& up,
                           const FilterSample* held = nullptr, bool confirmed_change = false);
    void apply(const Adjustment& adj, SourceId peer, LocalTime now, EngineUpdate& up);
    std::optional<Candidate> candidate_of(const Slot& s, int64_t now_ns) const;
    SourceState state_of(const Slot& s) const;
    /// Re-derives every source state, the system status, leap and kernel status at `now` and
    /// reports what changed into `up`. Every public input ends here.
    void conclude(LocalTime now, EngineUpdate& up);
    SystemStatus decide_status(LocalTime now) const;
    bool within_max_distance(int64_t now_ns) const;
    int64_t root_dispersion_at(int64_t now_ns) const;

    EngineConfig cfg_;
    auth::ClientAuthContext auth_ctx_;
    SystemClock& clock_;
    Random& rng_;
    Discipline discipline_;
    std::vector<Slot> sources_;
    std::optional<UpdateInfo> last_update_;
    std::optional<SourceId> system_peer_;                       // from the last selection round
    UnsyncReason selection_failure_ = UnsyncReason::kStarting;  // why the last round chose none
    int64_t last_used_sample_time_ns_ = INT64_MIN;
    int64_t last_update_time_ns_ = 0;  // local time of the last clock update (0: never)
    bool panicked_ = false;            // the last update was refused (panic threshold)
    proto::SystemState state_;         // the synchronized state as of the last update
    int64_t sys_jitter_ns_ = 0;
    int64_t root_disp_base_ns_ = 0;  // root dispersion at the last update
    SystemStatus status_;            // as last reported
    bool kernel_synced_ = false;     // the kernel status we last set
    LeapTracker leap_;
};

}  // namespace ntplite::clock
