#include <gtest/gtest.h>

#include "clock/filter.hpp"

namespace ntplite::clock {
namespace {

FilterSample sample(int64_t offset, int64_t delay, int64_t t) {
    return FilterSample{offset, delay, 1'000, t};
}

TEST(ClockFilter, PicksMinimumDelaySample) {
    ClockFilter f;
    f.add(sample(500, 300, 1));
    f.add(sample(100, 100, 2));
    FilterOutput out = f.add(sample(900, 400, 3));
    EXPECT_EQ(out.best.offset_ns, 100);
    EXPECT_EQ(out.best.delay_ns, 100);
}

TEST(ClockFilter, KeepsOnlyTheLastEight) {
    ClockFilter f;
    f.add(sample(-7, 1, 0));  // best by far, but pushed out by eight newer samples
    FilterOutput out{};
    for (int i = 1; i <= 8; ++i) out = f.add(sample(i * 10, 100 + i, i));
    EXPECT_EQ(f.count(), 8);
    EXPECT_EQ(out.best.offset_ns, 10);
}

TEST(ClockFilter, BestIsHandedOutAsNewOnlyOnce) {
    ClockFilter f;
    EXPECT_TRUE(f.add(sample(0, 100, 1)).is_new);
    // Worse delay: best is still the old sample, already used.
    EXPECT_FALSE(f.add(sample(50, 200, 2)).is_new);
    // Better delay and newer: new.
    EXPECT_TRUE(f.add(sample(20, 50, 3)).is_new);
}

TEST(ClockFilter, JitterIsRmsAroundTheBest) {
    ClockFilter f;
    f.add(sample(0, 100, 1));
    FilterOutput out = f.add(sample(300, 200, 2));
    EXPECT_EQ(out.jitter_ns, 300);  // sqrt(300^2 / 1)
    out = f.add(sample(-300, 300, 3));
    EXPECT_EQ(out.jitter_ns, 300);  // sqrt((300^2 + 300^2) / 2)
}

TEST(ClockFilter, DispersionAgesWithTime) {
    ClockFilter f;
    f.add(sample(0, 100, 0));
    auto early = f.current(0);
    auto late = f.current(1'000'000'000'000);  // 1000 s later: + PHI * 1000 s = 15 ms, halved
    ASSERT_TRUE(early && late);
    EXPECT_NEAR(static_cast<double>(late->dispersion_ns - early->dispersion_ns), 7.5e6, 1e3);
}

TEST(ClockFilter, RebaseAppliesSlewAndFrequencyChange) {
    ClockFilter f;
    f.add(sample(1'000'000, 100, 0));
    // At t = 100 s the clock was slewed forward 1 ms and sped up by 1 ppm. The sample taken
    // 100 s earlier, seen by the corrected clock, reads 1 ms less plus 100 us more.
    f.rebase(1'000'000, 1.0, 100'000'000'000);
    auto out = f.current(100'000'000'000);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->best.offset_ns, 100'000);
    EXPECT_EQ(out->best.local_time_ns, 1'000'000);  // time axis follows the correction
}

TEST(ClockFilter, ClearForgetsEverything) {
    ClockFilter f;
    f.add(sample(1, 1, 1));
    f.clear();
    EXPECT_EQ(f.count(), 0);
    EXPECT_FALSE(f.current(2).has_value());
    EXPECT_TRUE(f.add(sample(1, 1, 1)).is_new);
}

}  // namespace
}  // namespace ntplite::clock
