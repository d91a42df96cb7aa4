// Linux clock driver: the pure translation to struct timex, and the driver logic against a fake
// kernel. Nothing here calls clock_adjtime with modes != 0 (one test reads with modes = 0).
#include "clock/os/linux_clock.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/timex.h>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

namespace ntplite::clock {
namespace {

using proto::LeapIndicator;

constexpr int64_t kNsPerS = 1'000'000'000;

TEST(LinuxClockTranslation, FrequencyIsScaledPpmAndClamped) {
    struct timex tx = frequency_request(12.5);
    EXPECT_EQ(tx.modes, static_cast<unsigned>(ADJ_FREQUENCY));
    EXPECT_EQ(tx.freq, 819200);  // 12.5 * 65536
    EXPECT_EQ(frequency_request(-1.0).freq, -65536);
    EXPECT_EQ(frequency_request(0.0).freq, 0);
    EXPECT_EQ(frequency_request(500.0).freq, 500L << 16);
    EXPECT_EQ(frequency_request(600.0).freq, 500L << 16);
    EXPECT_EQ(frequency_request(-1e12).freq, -(500L << 16));
    EXPECT_EQ(frequency_request(std::numeric_limits<double>::infinity()).freq, 500L << 16);
    EXPECT_EQ(frequency_request(std::numeric_limits<double>::quiet_NaN()).freq, 0);
    // Rounded to the nearest 2^-16 ppm.
    EXPECT_EQ(frequency_request(1.4 / 65536).freq, 1);
    EXPECT_EQ(frequency_request(-1.6 / 65536).freq, -2);
    EXPECT_DOUBLE_EQ(frequency_from_timex(819200), 12.5);
    EXPECT_DOUBLE_EQ(frequency_from_timex(-(500L << 16)), -500.0);
}

TEST(LinuxClockTranslation, SlewIsSingleshotInMicrosecondsClampedToHalfASecond) {
    struct timex tx = slew_request(1'500);
    EXPECT_EQ(tx.modes, static_cast<unsigned>(ADJ_OFFSET_SINGLESHOT));
    EXPECT_EQ(tx.offset, 2);  // 1.5 us rounds away from zero
    EXPECT_EQ(slew_request(1'499).offset, 1);
    EXPECT_EQ(slew_request(-1'500).offset, -2);
    EXPECT_EQ(slew_request(0).offset, 0);
    EXPECT_EQ(slew_request(123'456'789).offset, 123'457);
    EXPECT_EQ(slew_request(kMaxSlewNs).offset, 500'000);
    EXPECT_EQ(slew_request(2 * kNsPerS).offset, 500'000);
    EXPECT_EQ(slew_request(-10 * kNsPerS).offset, -500'000);
    EXPECT_EQ(slew_request(std::numeric_limits<int64_t>::min()).offset, -500'000);
    EXPECT_EQ(slew_read_request().modes, static_cast<unsigned>(ADJ_OFFSET_SS_READ));
}

TEST(LinuxClockTranslation, StepIsNormalisedNanoseconds) {
    struct timex tx = step_request(1'500'000'000);
    EXPECT_EQ(tx.modes, static_cast<unsigned>(ADJ_SETOFFSET | ADJ_NANO));
    EXPECT_EQ(tx.time.tv_sec, 1);
    EXPECT_EQ(tx.time.tv_usec, 500'000'000);
    tx = step_request(-1'500'000'000);
    EXPECT_EQ(tx.time.tv_sec, -2);
    EXPECT_EQ(tx.time.tv_usec, 500'000'000);
    tx = step_request(-1);
    EXPECT_EQ(tx.time.tv_sec, -1);
    EXPECT_EQ(tx.time.tv_usec, 999'999'999);
    tx = step_request(-2 * kNsPerS);
    EXPECT_EQ(tx.time.tv_sec, -2);
    EXPECT_EQ(tx.time.tv_usec, 0);
    // The kernel's validity rule and exactness, over a spread of values.
    for (int64_t off : {int64_t{0}, int64_t{1}, int64_t{-999'999'999}, int64_t{10} * kNsPerS + 7,
                        int64_t{-300'000'000}, int64_t{-86'400} * kNsPerS - 1}) {
        tx = step_request(off);
        EXPECT_GE(tx.time.tv_usec, 0) << off;
        EXPECT_LT(tx.time.tv_usec, kNsPerS) << off;
        EXPECT_EQ(static_cast<int64_t>(tx.time.tv_sec) * kNsPerS + tx.time.tv_usec, off);
    }
}

TEST(LinuxClockTranslation, LeapSetsExactlyOneBitAndKeepsOthers) {
    int current = STA_UNSYNC | STA_DEL | STA_PLL | STA_NANO;
    struct timex tx = leap_request(current, LeapIndicator::kInsertSecond);
    EXPECT_EQ(tx.modes, static_cast<unsigned>(ADJ_STATUS));
    EXPECT_TRUE(tx.status & STA_INS);
    EXPECT_FALSE(tx.status & STA_DEL);
    EXPECT_TRUE(tx.status & STA_UNSYNC);  // leap handling does not change sync status
    EXPECT_FALSE(tx.status & STA_PLL);    // kernel PLL never left on
    EXPECT_FALSE(tx.status & STA_NANO);   // read-only bits are not written

    tx = leap_request(STA_INS, LeapIndicator::kDeleteSecond);
    EXPECT_EQ(tx.status & (STA_INS | STA_DEL), STA_DEL);
    EXPECT_EQ(leap_request(STA_INS, LeapIndicator::kNone).status & (STA_INS | STA_DEL), 0);
    EXPECT_EQ(leap_request(STA_DEL, LeapIndicator::kUnsynchronized).status & (STA_INS | STA_DEL),
              0);
}

TEST(LinuxClockTranslation, SyncStatusClearsUnsyncAndSetsErrorsInMicroseconds) {
    struct timex tx = sync_status_request(STA_UNSYNC | STA_INS | STA_FLL, 1'500, 500, true);
    EXPECT_EQ(tx.modes, static_cast<unsigned>(ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR));
    EXPECT_FALSE(tx.status & STA_UNSYNC);
    EXPECT_TRUE(tx.status & STA_INS);  // a pending leap survives status updates
    EXPECT_FALSE(tx.status & STA_FLL);
    EXPECT_EQ(tx.maxerror, 2);  // rounded up: an error bound must not shrink
    EXPECT_EQ(tx.esterror, 1);

    tx = sync_status_request(0, 10'000'000, 20'000'000, true);
    EXPECT_EQ(tx.maxerror, 10'000);
    EXPECT_EQ(tx.esterror, 10'000);  // never above maxerror
    tx = sync_status_request(0, 100 * kNsPerS, 50 * kNsPerS, true);
    EXPECT_EQ(tx.maxerror, kKernelUnknownErrorUs);
    EXPECT_EQ(tx.esterror, kKernelUnknownErrorUs);
    tx = sync_status_request(0, -5, -5, true);
    EXPECT_EQ(tx.maxerror, 0);
    EXPECT_EQ(tx.esterror, 0);
}

TEST(LinuxClockTranslation, LostSyncSetsUnsyncAndUnknownErrors) {
    struct timex tx = sync_status_request(STA_DEL, 1'000, 1'000, false);
    EXPECT_TRUE(tx.status & STA_UNSYNC);
    EXPECT_TRUE(tx.status & STA_DEL);
    EXPECT_EQ(tx.maxerror, kKernelUnknownErrorUs);
    EXPECT_EQ(tx.esterror, kKernelUnknownErrorUs);
}

TEST(LinuxClockTranslation, ErrnoClassification) {
    EXPECT_EQ(classify_errno(EPERM), ClockError::kPermissionDenied);
    EXPECT_EQ(classify_errno(EINVAL), ClockError::kInvalidArgument);
    EXPECT_EQ(classify_errno(EFAULT), ClockError::kOther);
    EXPECT_STRNE(to_string(ClockError::kPermissionDenied), "?");
}

// Reading the real kernel state (modes = 0) is harmless and checks frequency_from_timex's unit.
TEST(LinuxClockTranslation, ReadsTheRealKernelWithoutAdjusting) {
    struct timex tx {};
    tx.modes = 0;
    ASSERT_GE(::clock_adjtime(CLOCK_REALTIME, &tx), 0);
    EXPECT_LE(std::fabs(frequency_from_timex(tx.freq)), kKernelMaxFrequencyPpm);
}

// ---- The driver against a fake kernel -------------------------------------------------------

// A small model of the kernel's adjtimex state; `refuse_errno` != 0 fails every adjustment.
struct FakeKernel {
    long freq = 0;
    int status = STA_UNSYNC;
    long maxerror = kKernelUnknownErrorUs;
    long esterror = kKernelUnknownErrorUs;
    long singleshot_us = 0;
    int64_t stepped_ns = 0;
    int refuse_errno = 0;
    std::vector<unsigned> calls;  // modes of every call

    int operator()(struct timex& tx) {
        calls.push_back(tx.modes);
        if (tx.modes == 0) {
            tx.freq = freq;
            tx.status = status;
            return TIME_OK;
        }
        if (tx.modes == static_cast<unsigned>(ADJ_OFFSET_SS_READ)) {
            tx.offset = singleshot_us;
            return TIME_OK;
        }
        if (refuse_errno != 0) {
            errno = refuse_errno;
            return -1;
        }
        if (tx.modes == static_cast<unsigned>(ADJ_OFFSET_SINGLESHOT)) {
            long old = singleshot_us;
            singleshot_us = tx.offset;
            tx.offset = old;
            return TIME_OK;
        }
        if (tx.modes & ADJ_SETOFFSET)
            stepped_ns += static_cast<int64_t>(tx.time.tv_sec) * kNsPerS + tx.time.tv_usec;
        if (tx.modes & ADJ_FREQUENCY) freq = tx.freq;
        if (tx.modes & ADJ_STATUS) status = tx.status;
        if (tx.modes & ADJ_MAXERROR) maxerror = tx.maxerror;
        if (tx.modes & ADJ_ESTERROR) esterror = tx.esterror;
        return TIME_OK;
    }
};

struct RecordingObserver : ClockObserver {
    std::vector<int64_t> steps;
    std::vector<std::pair<double, double>> frequency_changes;
    void on_clock_step(int64_t offset_ns, int64_t) override { steps.push_back(offset_ns); }
    void on_frequency_change(double old_ppm, double new_ppm, int64_t) override {
        frequency_changes.emplace_back(old_ppm, new_ppm);
    }
};

class LinuxClockDriver : public ::testing::Test {
  protected:
    std::unique_ptr<LinuxClock> open_clock(std::optional<double> initial_ppm) {
        auto c = LinuxClock::open(
            initial_ppm, [this](const ClockFailure& f) { failures.push_back(f); },
            [this](struct timex& tx) { return kernel(tx); },
            [] { return int64_t{1'700'000'000} * kNsPerS; });
        EXPECT_TRUE(c.has_value());
        return c ? std::move(*c) : nullptr;
    }

    FakeKernel kernel;
    std::vector<ClockFailure> failures;
};

TEST_F(LinuxClockDriver, OpenProbesByReapplyingTheCurrentFrequency) {
    kernel.freq = 3L << 16;
    auto c = open_clock(std::nullopt);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->adjusts());
    EXPECT_DOUBLE_EQ(c->frequency_ppm(), 3.0);
    EXPECT_EQ(kernel.freq, 3L << 16);
    ASSERT_EQ(kernel.calls.size(), 2u);  // read, then the probe
    EXPECT_EQ(kernel.calls[1], static_cast<unsigned>(ADJ_FREQUENCY));
}

TEST_F(LinuxClockDriver, OpenAppliesTheDriftFileFrequency) {
    auto c = open_clock(-7.25);
    ASSERT_NE(c, nullptr);
    EXPECT_DOUBLE_EQ(c->frequency_ppm(), -7.25);
    EXPECT_EQ(kernel.freq, -475136);  // -7.25 * 65536
}

TEST_F(LinuxClockDriver, OpenReportsPermissionDenied) {
    kernel.refuse_errno = EPERM;
    auto c = LinuxClock::open(std::nullopt, {}, [this](struct timex& tx) { return kernel(tx); });
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().error, ClockError::kPermissionDenied);
    EXPECT_EQ(c.error().errno_value, EPERM);
    EXPECT_STREQ(c.error().operation, "frequency");
}

TEST_F(LinuxClockDriver, FrequencyChangesAreClampedAndObserved) {
    auto c = open_clock(0.0);
    RecordingObserver obs;
    c->add_observer(&obs);
    c->adjust_frequency(12.5);
    c->adjust_frequency(12.5);  // unchanged: no notification
    c->adjust_frequency(900.0);
    EXPECT_EQ(kernel.freq, 500L << 16);
    EXPECT_DOUBLE_EQ(c->frequency_ppm(), 500.0);
    ASSERT_EQ(obs.frequency_changes.size(), 2u);
    EXPECT_EQ(obs.frequency_changes[0], std::make_pair(0.0, 12.5));
    EXPECT_EQ(obs.frequency_changes[1], std::make_pair(12.5, 500.0));
}

TEST_F(LinuxClockDriver, SlewReplacesTheRemainderAndReadsItBack) {
    auto c = open_clock(0.0);
    c->slew(250'000'000);
    EXPECT_EQ(kernel.singleshot_us, 250'000);
    kernel.singleshot_us = 1'234;  // the kernel slewed most of it
    EXPECT_EQ(c->pending_slew_ns(), 1'234'000);
    c->slew(-3'000'000'000);  // clamped
    EXPECT_EQ(kernel.singleshot_us, -500'000);
}

TEST_F(LinuxClockDriver, StepCancelsThePendingSlewAndNotifies) {
    auto c = open_clock(0.0);
    RecordingObserver obs;
    c->add_observer(&obs);
    c->slew(1'000'000);
    c->step(-10 * kNsPerS - 5);
    EXPECT_EQ(kernel.stepped_ns, -10 * kNsPerS - 5);
    EXPECT_EQ(kernel.singleshot_us, 0);
    EXPECT_EQ(obs.steps, std::vector<int64_t>{-10 * kNsPerS - 5});
}

TEST_F(LinuxClockDriver, SyncStatusAndLeapReachTheKernel) {
    auto c = open_clock(0.0);
    kernel.status = STA_UNSYNC | STA_PLL;
    c->set_sync_status(2'000'000, 300'000, true);
    EXPECT_EQ(kernel.status & (STA_UNSYNC | STA_PLL), 0);
    EXPECT_EQ(kernel.maxerror, 2'000);
    EXPECT_EQ(kernel.esterror, 300);
    c->set_leap(LeapIndicator::kInsertSecond);
    EXPECT_EQ(kernel.status & (STA_INS | STA_DEL | STA_UNSYNC), STA_INS);
    c->set_sync_status(0, 0, false);
    EXPECT_EQ(kernel.status & (STA_INS | STA_UNSYNC), STA_INS | STA_UNSYNC);
    EXPECT_EQ(kernel.maxerror, kKernelUnknownErrorUs);
    c->set_leap(LeapIndicator::kNone);
    EXPECT_EQ(kernel.status & (STA_INS | STA_DEL), 0);
}

TEST_F(LinuxClockDriver, ALaterRefusalMakesTheDriverInertAndIsReportedOnce) {
    auto c = open_clock(1.0);
    kernel.refuse_errno = EPERM;
    c->adjust_frequency(2.0);
    EXPECT_FALSE(c->adjusts());
    ASSERT_TRUE(c->failure().has_value());
    EXPECT_EQ(c->failure()->error, ClockError::kPermissionDenied);
    EXPECT_STREQ(c->failure()->operation, "frequency");
    EXPECT_DOUBLE_EQ(c->frequency_ppm(), 1.0);  // unchanged: the kernel did not take it

    size_t calls_before = kernel.calls.size();
    c->slew(1'000);
    c->step(1'000);
    c->set_leap(LeapIndicator::kInsertSecond);
    c->set_sync_status(1, 1, true);
    c->adjust_frequency(3.0);
    EXPECT_EQ(kernel.calls.size(), calls_before);  // inert: no more kernel calls
    EXPECT_EQ(c->pending_slew_ns(), 0);
    EXPECT_EQ(failures.size(), 1u);
}

TEST_F(LinuxClockDriver, NowComesFromTheInjectedRealtimeSource) {
    auto c = open_clock(0.0);
    EXPECT_EQ(c->now_ns(), int64_t{1'700'000'000} * kNsPerS);
}

}  // namespace
}  // namespace ntplite::clock

namespace ntplite::clock {
namespace {

class OpenDisciplineClock : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/ntplite-open-clock.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    DisciplineClockOpen open(const std::string& drift) {
        return open_discipline_clock(
            drift, {}, [this](struct timex& tx) { return kernel(tx); }, [] { return int64_t{42}; });
    }

    std::filesystem::path dir;
    FakeKernel kernel;
};

TEST_F(OpenDisciplineClock, UsesTheDriftFileFrequency) {
    std::string path = (dir / "drift").string();
    ASSERT_TRUE(save_drift_file(path, -12.5).has_value());
    DisciplineClockOpen r = open(path);
    ASSERT_NE(r.clock, nullptr);
    EXPECT_TRUE(r.clock->adjusts());
    EXPECT_FALSE(r.drift_error.has_value());
    EXPECT_FALSE(r.refused.has_value());
    EXPECT_DOUBLE_EQ(r.initial_frequency_ppm, -12.5);
    EXPECT_EQ(kernel.freq, -12L * 65536 - 32768);
}

TEST_F(OpenDisciplineClock, ACorruptDriftFileFallsBackToTheKernelFrequency) {
    std::string path = (dir / "drift").string();
    std::ofstream(path) << "garbage";
    kernel.freq = 2L << 16;
    DisciplineClockOpen r = open(path);
    ASSERT_NE(r.clock, nullptr);
    EXPECT_EQ(r.drift_error, DriftError::kTruncated);
    EXPECT_DOUBLE_EQ(r.initial_frequency_ppm, 2.0);
    EXPECT_EQ(open((dir / "missing").string()).drift_error, DriftError::kMissing);
    EXPECT_FALSE(open("").drift_error.has_value());
}

TEST_F(OpenDisciplineClock, RefusalGivesAnObservingNullClock) {
    kernel.refuse_errno = EPERM;
    DisciplineClockOpen r = open("");
    ASSERT_NE(r.clock, nullptr);
    ASSERT_TRUE(r.refused.has_value());
    EXPECT_EQ(r.refused->error, ClockError::kPermissionDenied);
    EXPECT_FALSE(r.clock->adjusts());
    EXPECT_EQ(r.clock->now_ns(), 42);
    r.clock->step(1'000'000);  // observe mode: recorded, never reaches the kernel
    EXPECT_EQ(kernel.stepped_ns, 0);
}

}  // namespace
}  // namespace ntplite::clock
