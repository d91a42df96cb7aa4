// Strong time types for the sync core's API: a local Unix time and a monotonic time are both
// int64_t nanoseconds, and mixing them up is a silent bug (a drift-save schedule fed realtime, an
// engine fed CLOCK_MONOTONIC). As distinct types, passing one where the other is expected does not
// compile. Arithmetic inside the core still works on the raw `ns` values.
#pragma once

#include <compare>
#include <cstdint>

namespace ntplite::clock {

/// A signed span of time in nanoseconds.
struct Duration {
    int64_t ns = 0;
    constexpr auto operator<=>(const Duration&) const = default;
};

/// A point in time on one clock, in nanoseconds. `Tag` names the clock.
template <class Tag>
struct TimePoint {
    int64_t ns = 0;
    constexpr auto operator<=>(const TimePoint&) const = default;
    constexpr TimePoint operator+(Duration d) const { return TimePoint{ns + d.ns}; }
    constexpr TimePoint operator-(Duration d) const { return TimePoint{ns - d.ns}; }
    constexpr Duration operator-(TimePoint o) const { return Duration{ns - o.ns}; }
};

struct LocalClockTag {};
struct MonotonicClockTag {};

/// Unix time in ns as read from the clock the core disciplines (CLOCK_REALTIME scale).
using LocalTime = TimePoint<LocalClockTag>;
/// CLOCK_MONOTONIC in ns: never stepped, for schedules and bans that must survive clock steps.
using MonoTime = TimePoint<MonotonicClockTag>;

}  // namespace ntplite::clock
