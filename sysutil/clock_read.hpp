// The edge's clock reads, one home for the daemon and the tools. The pure core never reads a
// clock: times are passed in (Unix ns for realtime, ns since boot for monotonic).
#pragma once

#include <cstdint>

namespace ntplite::sysutil {

/// CLOCK_REALTIME now, Unix time in ns (UTC, no leap seconds; steps with the system clock).
int64_t realtime_ns();
/// CLOCK_MONOTONIC now, ns since an arbitrary start (never steps; slewed with the clock).
int64_t monotonic_ns();

}  // namespace ntplite::sysutil
