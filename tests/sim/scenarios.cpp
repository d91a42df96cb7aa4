#include "tests/sim/scenarios.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace ntplite::sim {

std::vector<uint64_t> sim_seeds() {
    uint64_t first = 1, last = 3;
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

ScenarioParams start_offset_scenario(uint64_t seed, int64_t offset_ns, const std::string& name) {
    ScenarioParams p = reference_scenario(seed);
    p.name = name;
    p.client.initial_offset_ns = offset_ns;
    return p;
}

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
        s.link.exp_jitter_mean_ns = 1'000'000;
        s.minpoll_log2 = clock::defaults::kMinpollLog2;
        s.maxpoll_log2 = clock::defaults::kMaxpollLog2;
        s.root_delay_ns = 1'000'000;
    }
    return p;
}

ScenarioParams spikes_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "delay-spikes";
    p.servers[0].link.spike_probability = 0.05;
    p.servers[0].link.spike_ns = 20'000'000;
    return p;
}

ScenarioParams frequency_jump_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "freq-jump";
    p.frequency_jump_at_ns = kJumpTime_ns;
    p.frequency_jump_ppm = 10.0;
    return p;
}

ScenarioParams drift_restart_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "drift-restart";
    p.client.initial_offset_ns = 500'000;
    p.client.initial_frequency_ppm = -99.95;
    p.servers[0].minpoll_log2 = clock::defaults::kMinpollLog2;
    p.servers[0].maxpoll_log2 = clock::defaults::kMaxpollLog2;
    return p;
}

ScenarioParams slew_only_scenario(uint64_t seed) {
    ScenarioParams p = reference_scenario(seed);
    p.name = "slew-10s";
    p.client.initial_offset_ns = 10'000'000'000;
    p.engine.discipline.step_limit_updates = 0;
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
    EXPECT_EQ(m.unsynchronized_served_after_sync, 0) << "served unsynchronized after syncing";
    EXPECT_EQ(m.frequency_changes, 0) << "a frequency change seen in plain noise";
}

namespace {
std::string& table() {
    static std::string t;
    return t;
}

struct Row {
    std::string scenario;
    RunMetrics m;  // offsets/event vectors dropped
};
std::vector<Row>& rows() {
    static std::vector<Row> r;
    return r;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty()      ? 0.0
           : v.size() % 2 ? v[v.size() / 2]
                          : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2.0;
}

double worst(const std::vector<double>& v) {
    return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
}

// Per scenario over the seeds: median and worst of each figure.
std::string summary() {
    std::vector<std::string> order;
    for (const Row& r : rows())
        if (std::find(order.begin(), order.end(), r.scenario) == order.end())
            order.push_back(r.scenario);
    std::string out =
        "| scenario | seeds | RMS offset after 2,000 s, median / worst (us) | worst \\|offset\\| "
        "after 2,000 s, median / worst (us) | time until \\|offset\\| stays < 1 ms, median / "
        "worst (s) | steps, min-max | RMS freq error, median / worst (ppm) | >= 1 ms again after "
        "first < 1 ms (seeds) |\n|---|---|---|---|---|---|---|---|\n";
    for (const std::string& name : order) {
        std::vector<double> rms, mx, settle, freq;
        int smin = 1 << 30, smax = 0, relapses = 0;
        for (const Row& r : rows()) {
            if (r.scenario != name) continue;
            rms.push_back(r.m.rms_offset_ns * 1e-3);
            mx.push_back(r.m.max_abs_offset_ns * 1e-3);
            settle.push_back(static_cast<double>(r.m.settle_ns) * 1e-9);
            freq.push_back(r.m.rms_freq_ppm);
            smin = std::min(smin, r.m.steps);
            smax = std::max(smax, r.m.steps);
            if (r.m.excursions_after_tight > 0) ++relapses;
        }
        char buf[512];
        std::snprintf(
            buf, sizeof buf,
            "| %s | %zu | %.1f / %.1f | %.0f / %.0f | %.0f / %.0f | %d-%d | %.4f / %.4f | "
            "%d |\n",
            name.c_str(), rms.size(), median(rms), worst(rms), median(mx), worst(mx),
            median(settle), worst(settle), smin, smax, median(freq), worst(freq), relapses);
        out += buf;
    }
    return out;
}

class TablePrinter : public ::testing::Environment {
  public:
    void TearDown() override {
        if (table().empty()) return;
        std::printf("\n%s%s\n%s", table_header().c_str(), table().c_str(), summary().c_str());
    }
};
[[maybe_unused]] auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new TablePrinter);
}  // namespace

void record_row(const std::string& scenario, uint64_t seed, const RunMetrics& m) {
    table() += table_row(scenario, seed, m);
    Row r{scenario, m};
    r.m.offset_at_s.clear();
    r.m.events.clear();
    r.m.request_times_ns.clear();
    r.m.peer_at_s.clear();
    rows().push_back(std::move(r));
}

}  // namespace ntplite::sim
