#include <gtest/gtest.h>

#include "clock/discipline.hpp"

namespace ntplite::clock {
namespace {

constexpr int64_t kS = 1'000'000'000;

DisciplineSample at(int64_t t_s, int64_t offset_ns) {
    DisciplineSample s;
    s.offset_ns = offset_ns;
    s.sample_time_ns = t_s * kS;
    s.delay_ns = 1;
    s.jitter_ns = 1000;
    s.minpoll_log2 = 4;
    s.maxpoll_log2 = 6;
    return s;
}

TEST(Discipline, TwoPointsLeaveTheFrequencyAlone) {
    Discipline d(DisciplineConfig{}, true);
    d.update(at(0, 0), 0);
    Adjustment a = d.update(at(2, 100'000), 2 * kS);
    EXPECT_EQ(a.frequency_change_ppm, 0.0) << "no error estimate from two points";
}

TEST(Discipline, SmallOffsetIsSlewed) {
    Discipline d(DisciplineConfig{}, true);
    Adjustment a = d.update(at(0, 5'000'000), 0);
    EXPECT_EQ(a.action, ClockAction::kSlew);
    EXPECT_EQ(a.offset_ns, 5'000'000);
}

TEST(Discipline, LargeOffsetIsSteppedOnlyInTheFirstUpdates) {
    DisciplineConfig cfg;
    cfg.step_threshold_ns = 20'000'000;
    cfg.step_limit_updates = 2;
    Discipline d(cfg, true);
    EXPECT_EQ(d.update(at(0, 50'000'000), 0).action, ClockAction::kStep);
    EXPECT_EQ(d.update(at(16, 50'000'000), 16 * kS).action, ClockAction::kStep);
    Adjustment third = d.update(at(32, 50'000'000), 32 * kS);
    EXPECT_EQ(third.action, ClockAction::kSlew) << "third update is past step_limit_updates";
}

TEST(Discipline, StepAlwaysAllowedWithNegativeLimit) {
    DisciplineConfig cfg;
    cfg.step_limit_updates = -1;
    cfg.step_threshold_ns = 20'000'000;
    Discipline d(cfg, true);
    for (int i = 0; i < 5; ++i) d.update(at(i * 16, 1000), i * 16 * kS);
    EXPECT_EQ(d.update(at(100, 30'000'000), 100 * kS).action, ClockAction::kStep);
}

TEST(Discipline, PanicRefusesAndChangesNothing) {
    DisciplineConfig cfg;
    cfg.panic_threshold_ns = 1000 * kS;
    Discipline d(cfg, true);
    Adjustment a = d.update(at(0, 2000 * kS), 0);
    EXPECT_EQ(a.action, ClockAction::kPanic);
    EXPECT_EQ(a.offset_ns, 0);
    EXPECT_EQ(a.wanted_offset_ns, 2000 * kS);
    EXPECT_EQ(a.frequency_change_ppm, 0.0);
    EXPECT_STREQ(to_string(a.action), "panic");
}

TEST(Discipline, PanicDisabledWithZero) {
    DisciplineConfig cfg;
    cfg.panic_threshold_ns = 0;
    cfg.max_backward_step_ns = -1;
    Discipline d(cfg, true);
    EXPECT_EQ(d.update(at(0, 5000 * kS), 0).action, ClockAction::kStep);
}

TEST(Discipline, BackwardStepIsCapped) {
    DisciplineConfig cfg;
    cfg.max_backward_step_ns = 1 * kS;
    Discipline d(cfg, true);
    Adjustment a = d.update(at(0, -10 * kS), 0);
    EXPECT_EQ(a.action, ClockAction::kStepCapped);
    EXPECT_EQ(a.offset_ns, -1 * kS);
    EXPECT_EQ(a.wanted_offset_ns, -10 * kS);
}

TEST(Discipline, ForwardStepIsNotCapped) {
    DisciplineConfig cfg;
    cfg.max_backward_step_ns = 1 * kS;
    Discipline d(cfg, true);
    Adjustment a = d.update(at(0, 10 * kS), 0);
    EXPECT_EQ(a.action, ClockAction::kStep);
    EXPECT_EQ(a.offset_ns, 10 * kS);
}

TEST(Discipline, UncappedBackwardStepWhenConfigured) {
    DisciplineConfig cfg;
    cfg.max_backward_step_ns = -1;
    Discipline d(cfg, true);
    Adjustment a = d.update(at(0, -10 * kS), 0);
    EXPECT_EQ(a.action, ClockAction::kStep);
    EXPECT_EQ(a.offset_ns, -10 * kS);
}

TEST(Discipline, RegressionFindsTheFrequencyError) {
    // Clock 50 ppm slow and never corrected by anyone but the discipline: offsets measured
    // after each correction follow the residual error only (the discipline re-bases).
    Discipline d(DisciplineConfig{}, true);
    double true_offset_ns = 0.0;  // server - local
    double freq_ppm = 0.0;        // applied correction
    for (int i = 0; i <= 40; ++i) {
        int64_t t = i * 16;
        Adjustment a = d.update(at(t, static_cast<int64_t>(true_offset_ns)), t * kS);
        true_offset_ns -= static_cast<double>(a.offset_ns);
        freq_ppm = a.frequency_ppm;
        true_offset_ns += (50.0 - freq_ppm) * 1e3 * 16;  // drift until the next sample
    }
    EXPECT_NEAR(freq_ppm, 50.0, 0.01);
    EXPECT_LT(std::abs(true_offset_ns), 1000.0);
}

TEST(Discipline, ObserveModeReportsButAccumulatesNothing) {
    Discipline d(DisciplineConfig{}, false);
    // Free-running clock 20 ppm slow: the offset grows 20 us per second.
    Adjustment a{};
    for (int i = 0; i < 10; ++i) a = d.update(at(i * 10, i * 200'000), i * 10 * kS);
    EXPECT_NEAR(a.frequency_ppm, 20.0, 1e-6);
    EXPECT_NEAR(static_cast<double>(a.wanted_offset_ns), 1'800'000.0, 1.0);
    EXPECT_EQ(d.frequency_ppm(), 0.0) << "nothing was applied";
}

TEST(Discipline, FrequencyIsClamped) {
    DisciplineConfig cfg;
    cfg.max_frequency_ppm = 100.0;
    Discipline d(cfg, true);
    double true_offset_ns = 0.0;
    Adjustment a{};
    for (int i = 0; i <= 20; ++i) {  // a clock 300 ppm slow, beyond the limit
        a = d.update(at(i * 16, static_cast<int64_t>(true_offset_ns)), i * 16 * kS);
        true_offset_ns -= static_cast<double>(a.offset_ns);
        true_offset_ns += (300.0 - a.frequency_ppm) * 1e3 * 16;
    }
    EXPECT_EQ(a.frequency_ppm, 100.0);
}

TEST(Discipline, PollGrowsWhenQuietAndStaysInRange) {
    Discipline d(DisciplineConfig{}, true);
    for (int i = 0; i < 200; ++i) d.update(at(i * 16, (i % 2) ? 500 : -500), i * 16 * kS);
    EXPECT_EQ(d.poll_hint_log2(), 6);
}

TEST(Discipline, PllFllConvergesOnAConstantFrequencyError) {
    DisciplineConfig cfg;
    cfg.algorithm = DisciplineAlgorithm::kPllFll;
    Discipline d(cfg, true);
    double true_offset_ns = 0.0;
    double freq_ppm = 0.0;
    for (int i = 0; i <= 400; ++i) {
        int64_t t = i * 16;
        DisciplineSample s = at(t, static_cast<int64_t>(true_offset_ns));
        s.poll_log2 = 4;
        Adjustment a = d.update(s, t * kS);
        true_offset_ns -= static_cast<double>(a.offset_ns);
        freq_ppm = a.frequency_ppm;
        true_offset_ns += (10.0 - freq_ppm) * 1e3 * 16;
    }
    EXPECT_NEAR(freq_ppm, 10.0, 0.1);
}

}  // namespace
}  // namespace ntplite::clock
