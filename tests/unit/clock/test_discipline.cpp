#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

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

// ---- issue 11: the first update fits the start-up burst; frequency changes are followed -------

TEST(Discipline, FirstUpdateFromTheBurstHasOffsetAndFrequency) {
    // A clock 100 ppm slow: the burst's 4 samples (1 s apart) rise by 100 us a second.
    Discipline d(DisciplineConfig{}, true);
    std::vector<DisciplineSample> burst;
    for (int i = 0; i < 4; ++i) burst.push_back(at(i, 50'000'000 + i * 100'000));
    Adjustment a = d.update_batch(burst, burst.back(), 3 * kS);
    EXPECT_EQ(d.updates(), 1) << "the burst is one update (the step window counts updates)";
    EXPECT_EQ(a.action, ClockAction::kSlew);
    EXPECT_NEAR(static_cast<double>(a.offset_ns), 50'300'000.0, 1'000.0);
    EXPECT_NEAR(a.frequency_ppm, 100.0, 1.0) << "the frequency from the first update on";
}

TEST(Discipline, TheBurstCountsAsOneUpdateForTheStepWindow) {
    DisciplineConfig cfg;
    cfg.step_limit_updates = 1;
    Discipline d(cfg, true);
    std::vector<DisciplineSample> burst;
    for (int i = 0; i < 4; ++i) burst.push_back(at(i, 10 * kS));
    EXPECT_EQ(d.update_batch(burst, burst.back(), 3 * kS).action, ClockAction::kStep);
    EXPECT_EQ(d.update(at(5, 10 * kS), 5 * kS).action, ClockAction::kSlew);
}

// Steady state at a 64 s poll, the measurements `noise_ns` (sd) around the true offset; at
// `jump_after` updates the clock's own rate error jumps by `jump_ppm`. Returns the largest
// |true offset| from the jump on and the updates it took to get the frequency within 1 ppm.
struct JumpRun {
    double max_after_ns = 0.0;
    int updates_to_follow = -1;
    int changes = 0;
};
JumpRun run_with_jump(double jump_ppm, int jump_after, int total, double noise_ns) {
    Discipline d(DisciplineConfig{}, true);
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, noise_ns);
    double true_offset_ns = 0.0;  // server - local
    double intrinsic_ppm = 30.0;  // how much slower the clock runs than it should
    JumpRun out;
    for (int i = 0; i < total; ++i) {
        const int64_t t = i * 64;
        if (i == jump_after) intrinsic_ppm += jump_ppm;
        Adjustment a = d.update(at(t, static_cast<int64_t>(true_offset_ns + noise(rng))), t * kS);
        true_offset_ns -= static_cast<double>(a.offset_ns);
        if (i >= jump_after) {
            out.max_after_ns = std::max(out.max_after_ns, std::abs(true_offset_ns));
            if (out.updates_to_follow < 0 && std::abs(a.frequency_ppm - intrinsic_ppm) < 1.0)
                out.updates_to_follow = i - jump_after;
        }
        // Between samples the clock drifts by what the correction has not caught; the jump
        // happens right after this sample (the worst case: a whole poll of drift).
        double rate = (i + 1 == jump_after ? intrinsic_ppm + jump_ppm : intrinsic_ppm);
        true_offset_ns += (rate - a.frequency_ppm) * 1e3 * 64;
    }
    out.changes = d.changes_detected();
    return out;
}

TEST(Discipline, AFrequencyJumpIsFollowedWithinTwoPolls) {
    // +10 ppm right after a sample: 640 us of drift per 64 s poll. Before issue 11 the old
    // points held the old frequency for ~12 polls (2-3 ms). Now two points beyond 3 sigma on
    // one side are a change and the new frequency is measured from the old line.
    JumpRun r = run_with_jump(10.0, 200, 260, 20'000.0);
    EXPECT_GE(r.changes, 1);
    EXPECT_GE(r.updates_to_follow, 0);
    EXPECT_LE(r.updates_to_follow, 3);
    EXPECT_LT(r.max_after_ns, 1.4e6) << "two polls of drift at most";
}

TEST(Discipline, NoChangeIsSeenInNoise) {
    // 1,000 polls of 50 us noise with a constant frequency: never a change (a false one would
    // throw the frequency away and cost a poll's worth of drift).
    JumpRun r = run_with_jump(0.0, 2000, 1000, 50'000.0);
    EXPECT_EQ(r.changes, 0);
}

TEST(Discipline, AConfirmedPairIsAChangeAtOnce) {
    // The source held a sample back and the next agreed (both far on one side): the pair goes
    // in together and is taken as a change without waiting for a second poll.
    Discipline d(DisciplineConfig{}, true);
    for (int i = 0; i < 30; ++i) d.update(at(i * 64, (i % 2) ? 10'000 : -10'000), i * 64 * kS);
    ASSERT_EQ(d.changes_detected(), 0);
    DisciplineSample a = at(30 * 64, 640'000);
    DisciplineSample b = at(30 * 64 + 1, 650'000);
    a.confirmed_change = b.confirmed_change = true;
    std::vector<DisciplineSample> pair{a, b};
    Adjustment adj = d.update_batch(pair, b, (30 * 64 + 1) * kS);
    EXPECT_EQ(d.changes_detected(), 1);
    EXPECT_NEAR(static_cast<double>(adj.offset_ns), 650'000.0, 50'000.0);
    EXPECT_GT(adj.frequency_change_ppm, 5.0) << "the new frequency from the old line";
}

TEST(Discipline, OneUnconfirmedOutlierIsNotAChange) {
    Discipline d(DisciplineConfig{}, true);
    for (int i = 0; i < 30; ++i) d.update(at(i * 64, (i % 2) ? 10'000 : -10'000), i * 64 * kS);
    Adjustment adj = d.update(at(30 * 64, 640'000), 30 * 64 * kS);
    EXPECT_EQ(d.changes_detected(), 0);
    EXPECT_LT(std::abs(adj.frequency_change_ppm), 5.0);
}

}  // namespace
}  // namespace ntplite::clock
