#include "tests/sim/scenarios.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace ntplite::sim {

std::vector<uint64_t> sim_seeds() {
    uint64_t first = 1, last = 4;
    if (const char* env = std::getenv("NTPLITE_SIM_SEEDS")) {
        unsigned long long a = 0, b = 0;
        if (std::sscanf(env, "%llu-%llu", &a, &b) == 2 && a <= b && b - a < 1000) {
            first = a;
            last = b;
        }
    }
    std::vector<uint64_t> seeds;
    for (uint64_t s = first; s <= last; ++s) seeds.push_back(s);
    return seeds;
}

ScenarioParams reference_scenario(uint64_t seed) {
    ScenarioParams p;
    p.name = "reference";
    p.seed = seed;
    p.client.initial_offset_ns = 100'000'000;
    p.client.frequency_error_ppm = 100.0;
    p.client.wander_ppm_per_s = 1e-9 * 1e6;  // 1e-9 per second, in ppm
    p.client.seed = seed;
    ServerParams s;
    s.name = "s1";
    p.servers.push_back(s);
    return p;
}

namespace {
ServerParams server(const char* name, uint32_t n) {
    ServerParams s;
    s.name = name;
    s.address_refid = 0xc0000200 + n;  // 192.0.2.n
    return s;
}
}  // namespace

ScenarioParams falseticker_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "falseticker";
    p.servers = {server("good1", 1), server("good2", 2), server("false", 3)};
    p.servers[2].clock_offset_ns = 100'000'000;
    return p;
}

ScenarioParams loss_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "loss30";
    p.servers[0].link.loss = 0.3;
    p.tight_from_ns = 120 * kSecond;
    return p;
}

ScenarioParams wan_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "wan10ms";
    p.servers = {server("wan1", 1), server("wan2", 2), server("wan3", 3)};
    for (auto& s : p.servers) {
        s.link.base_delay_ns = 10'000'000;
        s.link.exp_jitter_mean_ns = 10'000'000;
        s.link.normal_jitter_sd_ns = 2'000'000;
        s.minpoll_log2 = 6;
        s.maxpoll_log2 = 10;
        s.root_delay_ns = 1'000'000;
    }
    p.servers[1].link.asymmetry_ns = 1'000'000;
    return p;
}

ScenarioParams big_offset_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "start-10s";
    p.client.initial_offset_ns = -10'000'000'000;
    return p;
}

ScenarioParams dying_server_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "server-dies";
    p.servers = {server("primary", 1), server("backup", 2)};
    p.servers[1].stratum = 2;  // worse merit: the primary is the system peer until it dies
    p.servers[0].dies_at_ns = kDeathTime_ns;
    return p;
}

ScenarioParams kod_rate_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "kod-rate";
    p.servers = {server("s1", 1), server("s2", 2), server("rate", 3)};
    p.servers[2].kod_rate_from_ns = kKodTime_ns;
    return p;
}

void expect_reference_criteria(const RunMetrics& m) {
    EXPECT_GE(m.first_update_ns, 0);
    EXPECT_LE(m.first_update_ns, 10 * kSecond) << "first clock update within 10 s";
    EXPECT_LT(m.max_abs_offset_after_tight_ns, 1e6) << "|offset| < 1 ms from 60 s on";
    EXPECT_LE(m.rms_offset_ns, 25e3) << "RMS offset after 2000 s <= 25 us";
    EXPECT_LE(m.max_abs_offset_ns, 150e3) << "max |offset| after 2000 s <= 150 us";
    EXPECT_LE(m.rms_freq_ppm, 0.1) << "RMS frequency error <= 0.1 ppm";
}

namespace {
std::string& table() {
    static std::string t;
    return t;
}

class TablePrinter : public ::testing::Environment {
  public:
    void TearDown() override {
        if (table().empty()) return;
        std::printf("\n%s%s", table_header().c_str(), table().c_str());
    }
};
[[maybe_unused]] auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new TablePrinter);
}  // namespace

void record_row(const std::string& scenario, uint64_t seed, const RunMetrics& m) {
    table() += table_row(scenario, seed, m);
}

}  // namespace ntplite::sim
