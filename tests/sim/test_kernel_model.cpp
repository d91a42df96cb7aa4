// The simulator's clock: the LinuxClock driver on the kernel clock model. Its kernel-facing
// behaviour is what the LD_PRELOAD shim cross-check (tests/shim/model_crosscheck.cpp) compares.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/sim/kernel/kernel_clock_model.hpp"
#include "tests/sim/kernel/simulated_clock.hpp"

namespace ntplite::sim {
namespace {

constexpr int64_t kS = 1'000'000'000;

TEST(KernelClockModel, SingleshotSlewsAt500ppmAndReturnsTheRemainder) {
    KernelClockModel m(KernelClockParams{}, 0);
    struct timex tx {};
    tx.modes = ADJ_OFFSET_SINGLESHOT;
    tx.offset = 1'000;  // 1 ms: 2 s at 500 ppm
    ASSERT_GE(m.adjtimex(tx), 0);
    m.advance_to(1 * kS);
    EXPECT_NEAR(m.offset_from_true_ns(), 500'000.0, 1.0);
    tx = {};
    tx.modes = ADJ_OFFSET_SINGLESHOT;
    tx.offset = -200;  // replaces the remainder, which comes back
    ASSERT_GE(m.adjtimex(tx), 0);
    EXPECT_EQ(tx.offset, 500);
    m.advance_to(2 * kS);
    EXPECT_NEAR(m.offset_from_true_ns(), 300'000.0, 1.0);
}

TEST(KernelClockModel, TickAndFrequencyClamps) {
    KernelClockModel m(KernelClockParams{.frequency_error_ppm = 10.0}, 0);
    struct timex tx {};
    tx.modes = ADJ_TICK | ADJ_FREQUENCY;
    tx.tick = 11'001;
    EXPECT_EQ(m.adjtimex(tx), -1) << "tick beyond +10 %";
    tx.tick = 10'100;      // +10,000 ppm
    tx.freq = 900L << 16;  // clamped to 500
    ASSERT_GE(m.adjtimex(tx), 0);
    EXPECT_DOUBLE_EQ(m.rate_ppm(), 10.0 + 10'000.0 + 500.0);
    m.advance_to(1 * kS);
    EXPECT_NEAR(m.offset_from_true_ns(), 10'510'000.0, 1.0);
}

TEST(SimulatedClock, FastSlewEndsAtItsDeadlineAndStepIsInstant) {
    SimulatedClock c(SimulatedClockParams{}, 0);
    c.slew(100'000'000);  // 0.1 s at 83,333 ppm: 1.2 s
    c.advance_to(1 * kS);
    EXPECT_GT(c.offset_from_true_ns(), 70e6);
    c.advance_to(3 * kS);  // the deadline passed on the way: the slew ended exactly
    EXPECT_NEAR(c.offset_from_true_ns(), 100e6, 1e3);
    EXPECT_EQ(c.pending_slew_ns(), 0);
    EXPECT_EQ(c.model().tick_us(), 10'000);
    c.step(-2 * kS);
    EXPECT_NEAR(c.offset_from_true_ns(), -2e9 + 100e6, 1e3);
    EXPECT_EQ(c.steps(), 1);
}

TEST(SimulatedClock, FrequencyCorrectionCancelsError) {
    SimulatedClock c(SimulatedClockParams{.frequency_error_ppm = 100.0}, 0);
    c.adjust_frequency(-100.0);
    c.advance_to(1000 * kS);
    EXPECT_NEAR(c.offset_from_true_ns(), 0.0, 1.0);
    EXPECT_DOUBLE_EQ(c.residual_frequency_ppm(), 0.0);
}

struct Recorder : clock::ClockObserver {
    int64_t stepped = 0;
    double freq = 0;
    void on_clock_step(int64_t offset_ns, int64_t) override { stepped += offset_ns; }
    void on_frequency_change(double, double new_ppm, int64_t) override { freq = new_ppm; }
};

TEST(SimulatedClock, ObserversHearStepsAndFrequencyChangesAfterAMove) {
    SimulatedClock first(SimulatedClockParams{}, 0);
    SimulatedClock c(std::move(first));
    Recorder r;
    c.add_observer(&r);
    c.step(5 * kS);
    c.adjust_frequency(12.5);
    EXPECT_EQ(r.stepped, 5 * kS);
    EXPECT_EQ(r.freq, 12.5);
    c.remove_observer(&r);
    c.step(1);
    EXPECT_EQ(r.stepped, 5 * kS);
}

}  // namespace
}  // namespace ntplite::sim
