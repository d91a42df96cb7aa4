// Leap seconds: when to announce one and when to tell the kernel. Pure: inputs are the leap
// indicators of the voting sources and "now"; no IO, no clock reads. SyncEngine is the only
// caller: the voters are every selectable source with valid samples (the truechimers of the
// last selection round: selected, candidates and outliers), as chrony's sources.c counts them.
//
// Rules:
//  - armed: a strict majority of the voters announce the same leap (insert or delete). Sources
//    announcing nothing, or unsynchronized, count against it.
//  - disarmed as soon as that majority is gone (the sources withdrew the announcement).
//  - the kernel is told (STA_INS/STA_DEL) only while "now" is in the last day (UTC) of June or
//    December: the kernel applies the bit at the next UTC midnight, so setting it on any other
//    day would put a leap second at the end of that day. Outside that day the kernel bits are
//    cleared, which also releases the kernel from TIME_WAIT after the leap has happened.
//  - announced to our own clients only during June and December (a leap is only ever scheduled
//    for the end of those months), so stale indicators after the leap are not passed on.
#pragma once

#include <cstdint>
#include <span>

#include "proto/packet.hpp"

namespace ntplite::clock {

/// The leap a strict majority of `selected` sources announce, else kNone. Empty -> kNone.
proto::LeapIndicator majority_leap(std::span<const proto::LeapIndicator> selected);

/// True if `unix_ns` falls on June 30 or December 31 (UTC), the days that may end with a leap
/// second. Unix time has no leap seconds, so the calendar arithmetic is exact.
bool is_leap_day(int64_t unix_ns);

/// True if `unix_ns` falls in June or December (UTC).
bool is_leap_month(int64_t unix_ns);

/// What to do about leap seconds now.
struct LeapDecision {
    proto::LeapIndicator announce = proto::LeapIndicator::kNone;  ///< for our clients (LI field)
    proto::LeapIndicator kernel = proto::LeapIndicator::kNone;    ///< for SystemClock::set_leap
    bool kernel_changed = false;  ///< `kernel` differs from the previous decision: call set_leap
};

/// Tracks the armed leap across updates so the daemon touches the kernel only on changes.
class LeapTracker {
  public:
    /// Feed the selected sources' indicators at Unix time `now_ns`.
    LeapDecision update(std::span<const proto::LeapIndicator> selected, int64_t now_ns);
    /// Re-evaluate with the last indicators (e.g. from a timer near midnight).
    LeapDecision tick(int64_t now_ns);
    /// Sync lost: disarm, and clear the kernel bits if they were set.
    LeapDecision reset();

    proto::LeapIndicator armed() const { return armed_; }

  private:
    LeapDecision decide(int64_t now_ns);

    proto::LeapIndicator armed_ = proto::LeapIndicator::kNone;
    proto::LeapIndicator kernel_ = proto::LeapIndicator::kNone;
};

}  // namespace ntplite::clock
