// Scenario definitions, pass criteria and the results table shared by the sim tests.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "tests/sim/sim.hpp"

namespace ntplite::sim {

/// Seeds every scenario runs with: 1..4, or FIRST..LAST from NTPLITE_SIM_SEEDS="FIRST-LAST"
/// (for longer studies outside CI).
std::vector<uint64_t> sim_seeds();

/// chrony test-suite defaults: 100 ppm error, 1e-9/s wander, 0.1 s off, 100 us + exp(100 us)
/// each way, minpoll 4 / maxpoll 6, 50,000 s, one server.
ScenarioParams reference_scenario(uint64_t seed);

/// first update <= 10 s, |offset| < 1 ms from 60 s, RMS <= 25 us and max <= 150 us after
/// 2,000 s, RMS frequency error <= 0.1 ppm (after 2,000 s).
void expect_reference_criteria(const RunMetrics& m);

/// Reference client with three servers; server 2's clock is +0.1 s off (a falseticker).
ScenarioParams falseticker_scenario(uint64_t seed);
/// Reference with 30% of datagrams lost in each direction (51% of exchanges fail).
ScenarioParams loss_scenario(uint64_t seed);
/// WAN: 3 servers, each way 10 ms + exponential(10 ms) + |normal(2 ms)|, 1 ms asymmetry on one.
ScenarioParams wan_scenario(uint64_t seed);
/// Reference but the clock starts 10 s behind.
ScenarioParams big_offset_scenario(uint64_t seed);
/// Two servers; the system peer (server 0) dies at 10,000 s.
ScenarioParams dying_server_scenario(uint64_t seed);
inline constexpr int64_t kDeathTime_ns = 10'000 * kSecond;
/// Three servers; server 2 answers with KoD RATE from 10,000 s on.
ScenarioParams kod_rate_scenario(uint64_t seed);
inline constexpr int64_t kKodTime_ns = 10'000 * kSecond;

/// Collects a row for the table printed at the end of the test program.
void record_row(const std::string& scenario, uint64_t seed, const RunMetrics& m);

}  // namespace ntplite::sim
