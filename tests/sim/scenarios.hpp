// Scenario definitions, pass criteria and the results table shared by the sim tests.
#pragma once

#include <array>
#include <string>

#include "tests/sim/sim.hpp"

namespace ntplite::sim {

inline constexpr std::array<uint64_t, 4> kSeeds{1, 2, 3, 4};

/// chrony test-suite defaults: 100 ppm error, 1e-9/s wander, 0.1 s off, 100 us + exp(100 us)
/// each way, minpoll 4 / maxpoll 6, 50,000 s, one server.
ScenarioParams reference_scenario(uint64_t seed);

/// first update <= 10 s, |offset| < 1 ms from 60 s, RMS <= 25 us and max <= 150 us after
/// 2,000 s, RMS frequency error <= 0.1 ppm (after 2,000 s).
void expect_reference_criteria(const RunMetrics& m);

/// Collects a row for the table printed at the end of the test program.
void record_row(const std::string& scenario, uint64_t seed, const RunMetrics& m);

}  // namespace ntplite::sim
