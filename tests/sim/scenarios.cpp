#include "tests/sim/scenarios.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <mutex>

namespace ntplite::sim {

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
