// Leap second logic with fixed dates: majority arming, the last-day-of-June/December window,
// withdrawal, and what happens after the leap.
#include "clock/leap.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace ntplite::clock {
namespace {

using proto::LeapIndicator;
using namespace std::chrono;

constexpr LeapIndicator kNone = LeapIndicator::kNone;
constexpr LeapIndicator kIns = LeapIndicator::kInsertSecond;
constexpr LeapIndicator kDel = LeapIndicator::kDeleteSecond;
constexpr LeapIndicator kUnsync = LeapIndicator::kUnsynchronized;

// Unix ns of a UTC civil date and time of day.
int64_t utc_ns(year_month_day date, hours h = 0h, minutes m = 0min, seconds s = 0s,
               nanoseconds ns = 0ns) {
    return duration_cast<nanoseconds>(sys_days{date}.time_since_epoch() + h + m + s + ns).count();
}

TEST(Leap, MajorityIsStrict) {
    EXPECT_EQ(majority_leap({}), kNone);
    EXPECT_EQ(majority_leap(std::vector{kIns}), kIns);
    EXPECT_EQ(majority_leap(std::vector{kIns, kNone}), kNone);  // half is not a majority
    EXPECT_EQ(majority_leap(std::vector{kIns, kIns, kNone}), kIns);
    EXPECT_EQ(majority_leap(std::vector{kDel, kDel, kIns}), kDel);
    EXPECT_EQ(majority_leap(std::vector{kIns, kDel, kNone}), kNone);
    EXPECT_EQ(majority_leap(std::vector{kIns, kUnsync, kUnsync}), kNone);
    EXPECT_EQ(majority_leap(std::vector{kIns, kIns, kUnsync}), kIns);
}

TEST(Leap, LeapDayIsTheLastDayOfJuneOrDecember) {
    EXPECT_TRUE(is_leap_day(utc_ns(2016y / December / 31d)));
    EXPECT_TRUE(is_leap_day(utc_ns(2016y / December / 31d, 23h, 59min, 59s, 999'999'999ns)));
    EXPECT_FALSE(is_leap_day(utc_ns(2017y / January / 1d)));
    EXPECT_FALSE(is_leap_day(utc_ns(2016y / December / 30d, 23h, 59min, 59s, 999'999'999ns)));
    EXPECT_TRUE(is_leap_day(utc_ns(2015y / June / 30d, 12h)));
    EXPECT_FALSE(is_leap_day(utc_ns(2015y / June / 29d, 12h)));
    EXPECT_FALSE(is_leap_day(utc_ns(2015y / July / 1d)));
    EXPECT_FALSE(is_leap_day(utc_ns(2016y / February / 29d)));
    EXPECT_FALSE(is_leap_day(utc_ns(2024y / March / 31d)));
    EXPECT_FALSE(is_leap_day(utc_ns(2024y / September / 30d)));
    EXPECT_TRUE(is_leap_day(utc_ns(1969y / December / 31d, 6h)));  // before the epoch
    EXPECT_TRUE(is_leap_day(utc_ns(2040y / June / 30d, 1h)));      // after the 2036 NTP era
    EXPECT_TRUE(is_leap_month(utc_ns(2016y / December / 1d)));
    EXPECT_FALSE(is_leap_month(utc_ns(2016y / November / 30d, 23h)));
}

TEST(Leap, ArmedDuringTheMonthAppliedOnlyOnTheLastDay) {
    LeapTracker t;
    std::vector<LeapIndicator> sources{kIns, kIns, kNone};

    LeapDecision d = t.update(sources, utc_ns(2016y / December / 1d, 10h));
    EXPECT_EQ(t.armed(), kIns);
    EXPECT_EQ(d.announce, kIns);
    EXPECT_EQ(d.kernel, kNone);
    EXPECT_FALSE(d.kernel_changed);

    d = t.update(sources, utc_ns(2016y / December / 31d, 0h, 0min, 1s));
    EXPECT_EQ(d.kernel, kIns);
    EXPECT_TRUE(d.kernel_changed);
    d = t.tick(utc_ns(2016y / December / 31d, 23h, 59min, 59s));
    EXPECT_EQ(d.kernel, kIns);
    EXPECT_FALSE(d.kernel_changed);  // touch the kernel only on changes

    // After midnight the kernel bits are cleared even while stale indicators linger.
    d = t.update(sources, utc_ns(2017y / January / 1d, 0h, 0min, 1s));
    EXPECT_EQ(d.kernel, kNone);
    EXPECT_TRUE(d.kernel_changed);
    EXPECT_EQ(d.announce, kNone);  // not passed on outside June/December
}

TEST(Leap, NotAppliedOnTheLastDayOfOtherMonths) {
    LeapTracker t;
    LeapDecision d = t.update(std::vector{kIns}, utc_ns(2016y / November / 30d, 12h));
    EXPECT_EQ(d.kernel, kNone);
    EXPECT_EQ(d.announce, kNone);
    EXPECT_FALSE(d.kernel_changed);
}

TEST(Leap, WithdrawnAnnouncementDisarms) {
    LeapTracker t;
    LeapDecision d = t.update(std::vector{kIns, kIns}, utc_ns(2015y / June / 30d, 8h));
    EXPECT_EQ(d.kernel, kIns);
    EXPECT_TRUE(d.kernel_changed);
    d = t.update(std::vector{kIns, kNone}, utc_ns(2015y / June / 30d, 20h));
    EXPECT_EQ(t.armed(), kNone);
    EXPECT_EQ(d.kernel, kNone);
    EXPECT_EQ(d.announce, kNone);
    EXPECT_TRUE(d.kernel_changed);
}

TEST(Leap, DeletionWorksTheSameWay) {
    LeapTracker t;
    LeapDecision d = t.update(std::vector{kDel}, utc_ns(2030y / June / 30d, 23h));
    EXPECT_EQ(d.kernel, kDel);
    EXPECT_EQ(d.announce, kDel);
    EXPECT_TRUE(d.kernel_changed);
}

TEST(Leap, ResetOnLostSyncClearsTheKernelOnlyIfSet) {
    LeapTracker t;
    EXPECT_FALSE(t.reset().kernel_changed);
    t.update(std::vector{kIns}, utc_ns(2016y / December / 31d, 12h));
    LeapDecision d = t.reset();
    EXPECT_TRUE(d.kernel_changed);
    EXPECT_EQ(d.kernel, kNone);
    EXPECT_EQ(t.armed(), kNone);
    EXPECT_FALSE(t.tick(utc_ns(2016y / December / 31d, 13h)).kernel_changed);
}

}  // namespace
}  // namespace ntplite::clock
