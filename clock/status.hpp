// What the sync core decided, as typed values: the per-source state with its reason, the system
// state (synchronized / holdover / local fallback / unsynchronized, and why), and the update that
// SyncEngine returns for every input it is given. The edge (daemon/) carries updates out and
// formats them for logs and monitoring; it never re-derives any of these facts.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "clock/source.hpp"
#include "proto/packet.hpp"
#include "proto/refid.hpp"

namespace ntplite::clock {

using SourceId = std::size_t;

/// Where a source stands, with the reason it is not used (one value, so monitoring can show one
/// word per source). Ordered roughly from "nothing known" to "in use".
enum class SourceState : uint8_t {
    kNoSample,        ///< polling, no valid reply yet
    kUnreachable,     ///< answered before, none of its last 3 polls did (not usable)
    kDenied,          ///< KoD DENY/RSTR: demobilized, no longer polled
    kRateLimited,     ///< its last reply was a KoD RATE: polled less often, no fresh sample
    kNoSelect,        ///< configured noselect: measured and shown, never used
    kUnsynchronized,  ///< the server says it has no time (LI=3 / stratum 16)
    kTooFar,          ///< root distance above the limit (includes a filter still filling up)
    kTimeLoop,        ///< its refid is one of our addresses: it takes its time from us
    kFalseticker,     ///< outside the majority's intersection interval
    kOutlier,         ///< truechimer pruned by clustering
    kCandidate,       ///< survivor, combined into the system offset
    kSelected,        ///< the system peer
};
/// Stable lower-case name ("no-sample", "too-far", ...), used in logs, JSON and metrics labels.
const char* to_string(SourceState s);

/// What the server half serves and why.
enum class SyncState : uint8_t {
    kUnsynchronized,  ///< serving LI=3 stratum 16 (see UnsyncReason)
    kSynchronized,    ///< following a selected source
    kHoldover,        ///< sources lost, still serving the disciplined clock for a while
    kLocal,           ///< serving the [local] fallback stratum from the free-running clock
};
const char* to_string(SyncState s);

/// Why the core is not synchronized to a source (also given for holdover and local fallback:
/// why the sources were lost; after holdover ends the reason is still the underlying one).
/// kNone while synchronized.
enum class UnsyncReason : uint8_t {
    kNone,
    kStarting,          ///< no clock update yet: waiting for sources to answer
    kNoSources,         ///< no live source (none configured, all removed or unresolved)
    kAllUnreachable,    ///< no source answered any of its last 3 polls
    kNoMajority,        ///< the sources disagree: no intersection of a majority
    kNoneSelectable,    ///< sources answer but none is usable (unsynchronized, too far, loops)
    kDistanceExceeded,  ///< our own root distance grew past MAXDIST without updates
    kPanic,             ///< the offset exceeds the panic threshold: refusing to follow
};
const char* to_string(UnsyncReason r);

/// The system's state as decided by the core at one instant.
struct SystemStatus {
    SyncState state = SyncState::kUnsynchronized;
    UnsyncReason reason = UnsyncReason::kStarting;
    /// The selected source (kSynchronized only).
    std::optional<SourceId> system_peer;
    /// Local Unix ns at which `state` began.
    int64_t since_ns = 0;
    /// kHoldover: ns of holdover left (-1: unlimited, until the root distance passes MAXDIST).
    int64_t holdover_left_ns = 0;
    /// Leap second decided for our clients (kNone unless a majority announces one in June or
    /// December). kUnsynchronized is never put here: `state` says that.
    proto::LeapIndicator leap = proto::LeapIndicator::kNone;

    bool operator==(const SystemStatus&) const = default;
    /// True if clients are served a stratum below 16 (synchronized, holdover or local).
    bool serving_time() const { return state != SyncState::kUnsynchronized; }
};

/// One source's change of state.
struct SourceTransition {
    SourceId id = 0;
    SourceState from = SourceState::kNoSample;
    SourceState to = SourceState::kNoSample;
};

/// Something that happened once (not a state): for logs and counters. Formatted at the edge.
struct EngineEvent {
    enum class Kind : uint8_t {
        kStep,        ///< the clock was (or in observe mode would have been) stepped: value_ns
        kStepCapped,  ///< a backward step was limited: value_ns applied, wanted_ns wanted
        kPanic,       ///< offset wanted_ns beyond the panic threshold: clock not adjusted
        kKissRate,    ///< KoD RATE from `source`: poll raised to poll_log2
        kKissDeny,    ///< KoD DENY/RSTR (kiss) from `source`: demobilized
        kTimeLoop,    ///< `source` (stratum, refid) takes its time from us
        kLeap,        ///< the leap decision changed (leap)
    };
    Kind kind = Kind::kStep;
    SourceId source = 0;
    int64_t value_ns = 0;   ///< kStep/kStepCapped: applied offset, positive = clock moved forward
    int64_t wanted_ns = 0;  ///< kStepCapped/kPanic: the offset that was wanted
    bool clock_adjusted = true;  ///< false in observe mode (a step was only requested)
    int8_t poll_log2 = 0;        ///< kKissRate
    proto::KissCode kiss = proto::KissCode::kOther;                  ///< kKissDeny
    uint8_t stratum = 0;                                             ///< kTimeLoop
    uint32_t refid = 0;                                              ///< kTimeLoop
    proto::LeapIndicator leap = proto::LeapIndicator::kNone;         ///< kLeap
    proto::LeapIndicator kernel_leap = proto::LeapIndicator::kNone;  ///< kLeap: armed in kernel
};

/// The kernel clock status the core set through SystemClock::set_sync_status (for logs).
struct KernelStatus {
    bool synced = false;      ///< STA_UNSYNC cleared
    int64_t maxerror_ns = 0;  ///< maximum error bound
    int64_t esterror_ns = 0;  ///< estimated error
};

/// A clock update made by the discipline.
struct ClockUpdate {
    int64_t time_ns = 0;    ///< local Unix ns of the update
    int64_t offset_ns = 0;  ///< combined offset of the survivors, positive = we were behind
    SourceId system_peer = 0;
    int count = 0;  ///< updates so far, this one included
};

/// Everything the core decided while handling one input. Empty members: nothing changed.
struct EngineUpdate {
    /// Per-source IO to carry out (send a request, arm the poll timer, demobilize, replace).
    std::vector<std::pair<SourceId, SourceActions>> actions;
    /// Per-source state changes, in source order.
    std::vector<SourceTransition> transitions;
    /// The new system status, when anything in it changed (state, reason, peer, leap).
    std::optional<SystemStatus> status;
    /// Set when the kernel status was changed (only when the clock really is disciplined).
    std::optional<KernelStatus> kernel;
    /// One-off happenings, oldest first.
    std::vector<EngineEvent> events;
    /// Set when the discipline updated the clock.
    std::optional<ClockUpdate> clock_update;
    /// Set by on_response: what became of the datagram (for debug logs and counters).
    std::optional<ResponseResult> response;
};

}  // namespace ntplite::clock
