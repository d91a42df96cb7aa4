// Reference scenario (chrony test-suite defaults, the clock 0.1 s ahead) and 0.1 s behind, on
// the shipped defaults, over several seeds. Issue 11 targets, per seed: |offset| stays < 1 ms
// from <= 6 s (4 iburst samples 1 s apart, the first update at ~3 s fits them for offset and
// frequency, 0.1 s is slewed at 83,333 ppm in ~1.2 s: 5 s on every seed) and never reaches
// 1 ms again; RMS after 2,000 s no worse than before (<= 16 us averaged over the seeds; the
// median of 10 seeds is in bench/SIM_RESULTS.md); no step.
#include <gtest/gtest.h>

#include "tests/sim/scenarios.hpp"

namespace ntplite::sim {
namespace {

void check_start_0_1s(const ScenarioParams& base_params, const std::string& name) {
    double rms_sum = 0.0;
    int n = 0;
    for (uint64_t seed : sim_seeds()) {
        ScenarioParams p = base_params;
        p.seed = seed;
        p.client.seed = seed;
        RunMetrics m = run_scenario(p);
        record_row(name, seed, m);
        SCOPED_TRACE(table_row(name, seed, m));
        expect_reference_criteria(m);
        EXPECT_LE(m.settle_ns, 6 * kSecond) << "|offset| stays < 1 ms from <= 6 s";
        EXPECT_EQ(m.excursions_after_tight, 0) << "|offset| reached 1 ms again";
        EXPECT_EQ(m.steps, 0) << "0.1 s is below the step threshold: slewed";
        rms_sum += m.rms_offset_ns;
        ++n;
    }
    EXPECT_LE(rms_sum / n, 16e3) << "mean RMS offset after 2,000 s over the seeds <= 16 us";
}

TEST(SimReference, StartAhead0_1s) {
    check_start_0_1s(reference_scenario(1), "start+0.1s");
}

TEST(SimReference, StartBehind0_1s) {
    check_start_0_1s(start_offset_scenario(1, -100'000'000, "start-0.1s"), "start-0.1s");
}

}  // namespace
}  // namespace ntplite::sim
