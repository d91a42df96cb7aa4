// A network and server simulator on virtual (true) time around the pure sync core: one client
// (SyncEngine + SimulatedClock = the LinuxClock driver on a model of the kernel clock) and any
// number of simulated servers reached over links with base delay, exponential and normal
// jitter, delay spikes, asymmetry and loss. Deterministic per seed.
#pragma once

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "clock/engine.hpp"
#include "clock/system_clock.hpp"
#include "tests/sim/kernel/simulated_clock.hpp"

namespace ntplite::sim {

inline constexpr int64_t kSecond = 1'000'000'000;
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

/// One-way path characteristics.
struct LinkParams {
    int64_t base_delay_ns = 100'000;      ///< fixed part, each way
    double exp_jitter_mean_ns = 100'000;  ///< exponential extra delay (mean), each way
    double normal_jitter_sd_ns = 0;       ///< |normal| extra delay (sd), each way
    int64_t asymmetry_ns = 0;             ///< added to the client->server direction only
    double loss = 0.0;                    ///< probability a datagram (either way) is lost
    double spike_probability = 0.0;       ///< probability a datagram gets spike_ns extra delay
    int64_t spike_ns = 0;                 ///< popcorn spike size (one way)
};

/// A simulated server.
struct ServerParams {
    std::string name = "server";
    int64_t clock_offset_ns = 0;       ///< its clock minus true time (falseticker: large)
    double frequency_error_ppm = 0.0;  ///< its clock's rate error
    uint8_t stratum = 1;
    uint32_t refid = 0x47505300;  ///< "GPS"
    uint32_t address_refid = 0;   ///< the refid of its address as the client sees it
    int64_t root_delay_ns = 0;
    int64_t root_dispersion_ns = 10'000;
    int64_t dies_at_ns = kNever;        ///< true time from which it never answers
    int64_t kod_rate_from_ns = kNever;  ///< true time from which it answers with KoD RATE
    LinkParams link;
    bool iburst = true;
    int8_t minpoll_log2 = 4;
    int8_t maxpoll_log2 = 6;
    bool prefer = false;
};

/// A whole scenario.
struct ScenarioParams {
    std::string name;
    SimulatedClockParams client;
    int64_t frequency_jump_at_ns = kNever;  ///< true time the intrinsic rate error jumps...
    double frequency_jump_ppm = 0.0;        ///< ...by this much (a temperature change)
    std::vector<ServerParams> servers;
    clock::EngineConfig engine;
    int64_t duration_ns = 50'000 * kSecond;
    uint64_t seed = 1;
    int64_t metrics_from_ns = 2'000 * kSecond;  ///< RMS/max windows start here
    int64_t tight_from_ns = 60 * kSecond;       ///< |offset| < 1 ms expected from here
    bool trace = false;                         ///< print every clock update to stdout
};

/// What a run measured (true-time based; offsets are local - true).
struct RunMetrics {
    int64_t first_update_ns = -1;  ///< true time of the first clock update (-1: never)
    double max_abs_offset_after_tight_ns = 0;
    double rms_offset_ns = 0;            ///< after metrics_from
    double max_abs_offset_ns = 0;        ///< after metrics_from
    double rms_freq_ppm = 0;             ///< after metrics_from
    double rms_freq_from_tight_ppm = 0;  ///< after tight_from
    int64_t settle_ns = 0;               ///< last true time |offset| >= 1 ms (+1 s); 0 if never
    int64_t first_tight_ns = -1;         ///< first true time |offset| < 1 ms (-1: never)
    int excursions_after_tight = 0;      ///< 1-s samples >= 1 ms after first_tight_ns
    int unsynchronized_served_after_sync = 0;  ///< 1-s samples served unsynchronized after the
                                               ///< first clock update
    std::vector<double> offset_at_s;           ///< per second: local - true (ns)
    int steps = 0;
    int frequency_changes = 0;  ///< changes the discipline detected (Discipline::changes_detected)
    std::vector<int> selected_samples;     ///< per server: 1-s samples with it as system peer
    std::vector<uint64_t> requests;        ///< per server: requests it received
    std::vector<int64_t> peer_changes_ns;  ///< true times the system peer changed
    std::vector<int> final_poll_log2;      ///< per server
    std::vector<clock::EngineEvent> events;
    std::vector<std::vector<int64_t>> request_times_ns;  ///< per server: true arrival times
    std::vector<clock::SourceSnapshot> final_sources;    ///< engine snapshot at the end
    std::vector<int64_t> peer_at_s;  ///< per second: system peer index (-1 none)
};

/// Run one scenario to completion. `observe` (optional) is called once per simulated second.
RunMetrics run_scenario(const ScenarioParams& p);

/// Markdown row helpers for the results table.
std::string table_header();
std::string table_row(const std::string& scenario, uint64_t seed, const RunMetrics& m);

}  // namespace ntplite::sim
