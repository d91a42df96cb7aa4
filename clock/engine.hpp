// SyncEngine: the pure facade the daemon drives. Sources + selection + discipline in, clock
// adjustments (applied to a SystemClock) and the server's SystemState out. No IO and no clock
// reads: every event carries "now" (local Unix ns); the clock is only read for its pending slew
// and only written through the SystemClock interface.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "clock/config.hpp"
#include "clock/discipline.hpp"
#include "clock/random.hpp"
#include "clock/selection.hpp"
#include "clock/source.hpp"
#include "clock/system_clock.hpp"
#include "proto/respond.hpp"

namespace ntplite::clock {

using SourceId = std::size_t;

/// Where a source stands, for monitoring.
enum class SourceState : uint8_t {
    kNoSample,     ///< nothing measured yet
    kUnreachable,  ///< was reachable, now silent
    kDemobilized,  ///< KoD DENY/RSTR (or removed): not used any more
    kNoSelect,     ///< configured noselect
    kUnusable,     ///< unsynchronized upstream or too far
    kTimeLoop,     ///< takes its time from us
    kFalseticker,
    kOutlier,
    kCandidate,
    kSelected,
};
const char* to_string(SourceState s);

/// One source as monitoring sees it.
struct SourceSnapshot {
    SourceId id = 0;
    std::string name;
    SourceState state = SourceState::kNoSample;
    int64_t offset_ns = 0;  ///< filtered offset, positive = we are behind the source
    int64_t delay_ns = 0;   ///< round trip of the filtered sample
    int64_t jitter_ns = 0;
    int64_t root_distance_ns = 0;
    uint8_t reach = 0;  ///< reachability register, newest poll in bit 0
    int8_t poll_log2 = 0;
    uint8_t stratum = 16;
    uint32_t refid = 0;
    std::optional<proto::KissCode> last_kiss;
    int64_t last_kiss_time_ns = 0;
    int64_t last_sample_time_ns = 0;  ///< local time of the filtered sample (0: none)
    bool prefer = false;
};

/// Something the daemon should log (and count).
struct EngineEvent {
    enum class Kind : uint8_t {
        kStep,
        kStepCapped,
        kPanic,
        kTimeLoop,
        kKissRate,
        kKissDeny,
        kSelected,
        kNoSelection
    };
    Kind kind;
    SourceId source = 0;
    int64_t value_ns = 0;  ///< offset for steps/panic
    std::string message;   ///< one self-contained log line
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

    /// Add a source; `first` receives its start actions (the first timer).
    SourceId add_source(const SourceConfig& cfg, int64_t now_ns, SourceActions* first);
    /// Stop using a source (pool replacement, config reload). Its id is not reused.
    void remove_source(SourceId id);
    /// Resync: every live source starts a burst now, unless one is in progress or it started one
    /// within its minimum poll (coalesced); returns the actions (timer) of those that start.
    std::vector<std::pair<SourceId, SourceActions>> burst_all(int64_t now_ns);
    /// The source's poll timer fired.
    SourceActions on_timer(SourceId id, int64_t now_ns);
    /// A datagram from the source's address arrived at local time `t4_ns`.
    ResponseResult on_response(SourceId id, std::span<const std::byte> datagram, int64_t t4_ns,
                               int64_t now_ns);

    /// What the server half advertises at local time `now_ns`.
    proto::SystemState system_state(int64_t now_ns) const;
    /// Every live source, for monitoring.
    std::vector<SourceSnapshot> snapshot(int64_t now_ns) const;
    /// Events since the last call (for logs), oldest first.
    std::vector<EngineEvent> take_events();

    bool synchronized() const { return synced_; }
    /// Synchronized at local time `now_ns`: updated at least once, and either a source is still
    /// usable (selected or candidate, answered one of its last 3 polls) or the last update is at
    /// most EngineConfig::holdover_ns old. system_state() is unsynchronized otherwise.
    bool synchronized_at(int64_t now_ns) const;
    /// Synchronized only thanks to the holdover: no usable source left (for monitoring).
    bool in_holdover(int64_t now_ns) const { return synchronized_at(now_ns) && !source_usable(); }
    int updates() const { return discipline_.updates(); }
    const std::optional<UpdateInfo>& last_update() const { return last_update_; }
    const Discipline& discipline() const { return discipline_; }
    std::size_t source_count() const { return sources_.size(); }
    const Source* source(SourceId id) const {
        return id < sources_.size() && sources_[id].live ? &sources_[id].source : nullptr;
    }

  private:
    struct Slot {
        Source source;
        bool live = true;
        Verdict verdict = Verdict::kUnusable;
        bool loop_reported = false;
    };
    bool startup_gate_open() const;
    bool source_usable() const;
    void select_and_update(SourceId from, int64_t now_ns);
    void apply(const Adjustment& adj, int64_t now_ns);
    std::optional<Candidate> candidate_of(const Slot& s, int64_t now_ns) const;
    void event(EngineEvent::Kind k, SourceId id, int64_t value, std::string msg);

    EngineConfig cfg_;
    SystemClock& clock_;
    Random& rng_;
    Discipline discipline_;
    std::vector<Slot> sources_;
    std::vector<EngineEvent> events_;
    std::optional<UpdateInfo> last_update_;
    std::optional<SourceId> system_peer_;
    int64_t last_used_sample_time_ns_ = INT64_MIN;
    bool synced_ = false;
    proto::SystemState state_;
    int64_t sys_jitter_ns_ = 0;
    int64_t root_disp_base_ns_ = 0;  // root dispersion at the last update
};

}  // namespace ntplite::clock
