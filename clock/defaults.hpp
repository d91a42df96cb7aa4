// The one definition of every default of the clock discipline and of a source's poll range.
// config/ takes these when a key is absent, packaging/ntpd-lite.toml shows them (a unit test
// parses that file and fails if it says anything else), and tests/sim runs them unless a
// scenario says otherwise. Units are in the names; the reasons are in docs/ARCHITECTURE.md
// ("The discipline").
#pragma once

#include <cstdint>

namespace ntplite::clock::defaults {

/// |offset| above this is stepped (while steps are allowed), below it slewed. 128 ms is ntpd's
/// STEPT: with fast slewing a 0.1 s error is slewed out in ~1.2 s, so stepping buys nothing.
inline constexpr int64_t kStepThreshold_ns = 128'000'000;
/// Steps are allowed in the first N discipline updates after start (chrony `makestep x 3`),
/// then every correction is a slew; < 0 = always allowed.
inline constexpr int kStepLimitUpdates = 3;
/// |offset| above this is refused and logged (0 = no limit).
inline constexpr int64_t kPanicThreshold_ns = 1'000'000'000'000;
/// Largest single backward step (ns); < 0 (the default) = no cap. A cap is opt-in: by default
/// a clock that is ahead at start is stepped back like one that is behind is stepped forward.
inline constexpr int64_t kMaxBackwardStep_ns = -1;
/// Largest slew rate (ppm), reached with the kernel tick plus frequency (chrony maxslewrate).
inline constexpr double kMaxSlewRate_ppm = 83'333.333;
/// The kernel's frequency range (ppm, both signs): the frequency correction is clamped to it.
inline constexpr double kMaxFrequency_ppm = 500.0;
/// Agreeing sources needed before the clock is adjusted.
inline constexpr int kMinSources = 1;
/// A source's poll range (log2 s), like ntpd/chrony: 64 s .. 1024 s.
inline constexpr int kMinpollLog2 = 6;
inline constexpr int kMaxpollLog2 = 10;

/// Seconds for the config layer (the TOML keys are in seconds).
inline constexpr double to_seconds(int64_t ns) {
    return static_cast<double>(ns) * 1e-9;
}

}  // namespace ntplite::clock::defaults
