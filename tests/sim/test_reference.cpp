// Reference scenario (chrony test-suite defaults) and its variants, over several seeds.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/sim/scenarios.hpp"

namespace ntplite::sim {
namespace {

TEST(SimReference, MeetsChronyCriteria) {
    for (uint64_t seed : sim_seeds()) {
        ScenarioParams p = reference_scenario(seed);
        RunMetrics m = run_scenario(p);
        record_row("reference", seed, m);
        SCOPED_TRACE(table_row("reference", seed, m));
        expect_reference_criteria(m);
    }
}

}  // namespace
}  // namespace ntplite::sim
