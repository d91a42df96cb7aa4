// Scenario definitions, pass criteria and the results tables shared by the sim tests. Every
// scenario runs the shipped defaults (clock::EngineConfig{} and clock::SlewOptions{}, which
// tests/unit/daemon/shipped_defaults_test.cpp proves equal to what ntpd-lite runs with an empty
// or the packaged config) unless it says otherwise.
#pragma once

#include <string>
#include <vector>

#include "tests/sim/sim.hpp"

namespace ntplite::sim {

/// Seeds every scenario runs with: 1..3, or FIRST..LAST from NTPLITE_SIM_SEEDS="FIRST-LAST"
/// (bench/SIM_RESULTS.md uses 1-10).
std::vector<uint64_t> sim_seeds();

/// chrony test-suite defaults: 100 ppm error, 1e-9/s wander, 0.1 s ahead, 100 us + exp(100 us)
/// each way, minpoll 4 / maxpoll 6, 50,000 s, one server.
ScenarioParams reference_scenario(uint64_t seed);
/// Reference with the clock `offset_ns` off at start (positive = ahead).
ScenarioParams start_offset_scenario(uint64_t seed, int64_t offset_ns, const std::string& name);
/// Reference client with three servers; server 2's clock is +0.1 s off (a falseticker).
ScenarioParams falseticker_scenario(uint64_t seed);
/// Reference with 30% of datagrams lost in each direction (51% of exchanges fail).
ScenarioParams loss_scenario(uint64_t seed);
/// WAN: 3 servers, each way 10 ms + exponential(1 ms), shipped poll range (64..1024 s).
ScenarioParams wan_scenario(uint64_t seed);
/// Reference with popcorn spikes: 5% of datagrams are delayed by 20 ms more.
ScenarioParams spikes_scenario(uint64_t seed);
/// Reference with the intrinsic frequency jumping by +10 ppm at 20,000 s.
ScenarioParams frequency_jump_scenario(uint64_t seed);
inline constexpr int64_t kJumpTime_ns = 20'000 * kSecond;
/// Restart with a drift file: the driver opens with the learned frequency (-99.95 ppm against
/// +100 ppm), the clock 0.5 ms ahead; shipped poll range.
ScenarioParams drift_restart_scenario(uint64_t seed);
/// Steps disabled (step_limit 0), the clock 10 s ahead: a pure slew at the maximum rate.
ScenarioParams slew_only_scenario(uint64_t seed);
/// Two servers; the system peer (server 0) dies at 10,000 s.
ScenarioParams dying_server_scenario(uint64_t seed);
inline constexpr int64_t kDeathTime_ns = 10'000 * kSecond;
/// Three servers; server 2 answers with KoD RATE from 10,000 s on.
ScenarioParams kod_rate_scenario(uint64_t seed);
inline constexpr int64_t kKodTime_ns = 10'000 * kSecond;

/// first update <= 10 s, |offset| < 1 ms from 60 s, RMS <= 25 us and max <= 150 us after
/// 2,000 s, RMS frequency error <= 0.1 ppm (after 2,000 s), never unsynchronized once synced,
/// no frequency change detected (there is none).
void expect_reference_criteria(const RunMetrics& m);

/// Collects a row for the tables printed at the end of the test program (per seed, and the
/// per-scenario summary over the seeds).
void record_row(const std::string& scenario, uint64_t seed, const RunMetrics& m);

}  // namespace ntplite::sim
