// Hand-computed vectors for the NTP timestamp formats, on both sides of the 2036 era boundary.
#include "proto/timestamp.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace ntplite::proto {
namespace {

constexpr int64_t kS = kNsPerSecond;
// 2036-02-07T06:28:16Z: NTP era 1 begins (2^32 - 2'208'988'800 s after the Unix epoch).
constexpr int64_t kEra1Unix_s = 2'085'978'496;
// 2026-01-01T00:00:00Z, a "now" pivot before the boundary.
constexpr int64_t kPivot2026_ns = 1'767'225'600 * kS;
// 2040-01-01T00:00:00Z, a pivot after the boundary.
constexpr int64_t kPivot2040_ns = 2'208'988'800 * kS;

TEST(Timestamp, UnixEpochIsNtpSeconds2208988800) {
    EXPECT_EQ(NtpTimestamp::from_unix_ns(0).raw, uint64_t{2'208'988'800} << 32);
    EXPECT_EQ(NtpTimestamp{uint64_t{2'208'988'800} << 32}.to_unix_ns(kPivot2026_ns), 0);
}

TEST(Timestamp, FractionRoundsToNearest) {
    EXPECT_EQ(NtpTimestamp::from_unix_ns(kS / 2).fraction(), 0x8000'0000u);
    EXPECT_EQ(NtpTimestamp::from_unix_ns(1).fraction(), 4u);                 // 1 ns = 4.29 units
    EXPECT_EQ(NtpTimestamp::from_unix_ns(kS - 1).fraction(), 0xFFFF'FFFCu);  // 4294967291.7
}

TEST(Timestamp, LastSecondOfEra0) {
    // 2036-02-07T06:28:15Z is NTP second 0xFFFFFFFF of era 0.
    const int64_t t = (kEra1Unix_s - 1) * kS;
    const auto ts = NtpTimestamp::from_unix_ns(t);
    EXPECT_EQ(ts.seconds(), 0xFFFF'FFFFu);
    EXPECT_EQ(ts.fraction(), 0u);
    EXPECT_EQ(ts.to_unix_ns(kPivot2026_ns), t);
    EXPECT_EQ(ts.to_unix_ns(kPivot2040_ns), t);
}

TEST(Timestamp, FirstSecondsOfEra1) {
    // 2036-02-07T06:28:16Z is second 0 of era 1 and :17Z is second 1.
    EXPECT_EQ(NtpTimestamp::from_unix_ns(kEra1Unix_s * kS).raw, 0u);
    const int64_t t = (kEra1Unix_s + 1) * kS;
    const auto ts = NtpTimestamp::from_unix_ns(t);
    EXPECT_EQ(ts.raw, uint64_t{1} << 32);
    // With a pivot before or after the boundary, second 1 is read as 2036, not 1900.
    EXPECT_EQ(ts.to_unix_ns(kPivot2026_ns), t);
    EXPECT_EQ(ts.to_unix_ns(kPivot2040_ns), t);
    // With a pivot in 1950 the same bits mean 1900-01-01T00:00:01Z.
    const int64_t pivot1950_ns = -631'152'000 * kS;
    EXPECT_EQ(ts.to_unix_ns(pivot1950_ns), (1 - kNtpToUnixOffset_s) * kS);
}

TEST(Timestamp, PivotWindowIsPlusMinus2To31Seconds) {
    // Just under 2^31 s after the pivot stays in the future; 2^31 s wraps to the past.
    const int64_t pivot = kPivot2026_ns;
    const int64_t ahead = pivot + (int64_t{1} << 31) * kS - kS;
    EXPECT_EQ(NtpTimestamp::from_unix_ns(ahead).to_unix_ns(pivot), ahead);
    const int64_t too_far = pivot + (int64_t{1} << 31) * kS;
    EXPECT_EQ(NtpTimestamp::from_unix_ns(too_far).to_unix_ns(pivot),
              too_far - (int64_t{1} << 32) * kS);
    const int64_t behind = pivot - (int64_t{1} << 31) * kS;
    EXPECT_EQ(NtpTimestamp::from_unix_ns(behind).to_unix_ns(pivot), behind);
}

TEST(Timestamp, NegativeUnixTimes) {
    const int64_t t = -kS / 4;  // 1969-12-31T23:59:59.75Z
    const auto ts = NtpTimestamp::from_unix_ns(t);
    EXPECT_EQ(ts.seconds(), 2'208'988'799u);
    EXPECT_EQ(ts.fraction(), 0xC000'0000u);
    EXPECT_EQ(ts.to_unix_ns(kPivot2026_ns), t);
}

TEST(Timestamp, RoundTripIsExactToTheNanosecond) {
    std::mt19937_64 rng(20361);
    std::uniform_int_distribution<int64_t> any_time(-2'000'000'000 * kS, 4'000'000'000 * kS);
    for (int i = 0; i < 20000; ++i) {
        const int64_t t = any_time(rng);
        ASSERT_EQ(NtpTimestamp::from_unix_ns(t).to_unix_ns(t), t) << t;
        // Any pivot within a few years also recovers it.
        ASSERT_EQ(NtpTimestamp::from_unix_ns(t).to_unix_ns(t + 100'000'000 * kS), t) << t;
    }
}

TEST(Timestamp, ExtremePivotSaturatesInsteadOfOverflowing) {
    // Pivot = the last representable instant (2262); seconds ~68 years after it cannot be held.
    constexpr int64_t pivot_ntp_s = INT64_MAX / kS + kNtpToUnixOffset_s;
    const auto later =
        NtpTimestamp{static_cast<uint64_t>(static_cast<uint32_t>(pivot_ntp_s + 0x7FFF'FFFF)) << 32};
    EXPECT_EQ(later.to_unix_ns(INT64_MAX), INT64_MAX);
    const auto earlier = NtpTimestamp{static_cast<uint64_t>(static_cast<uint32_t>(
                                          kNtpToUnixOffset_s + INT64_MIN / kS - 1 - 0x7FFF'FFFF))
                                      << 32};
    EXPECT_EQ(earlier.to_unix_ns(INT64_MIN), INT64_MIN);
}

TEST(Timestamp, WrappingDifferenceAcrossEraBoundary) {
    const auto before = NtpTimestamp::from_unix_ns((kEra1Unix_s - 1) * kS);  // 0xFFFFFFFF.0
    const auto after = NtpTimestamp::from_unix_ns((kEra1Unix_s + 1) * kS);   // 0x00000001.0
    EXPECT_EQ((after - before).to_ns(), 2 * kS);
    EXPECT_EQ((before - after).to_ns(), -2 * kS);
    EXPECT_EQ(before + NtpDuration::from_ns(2 * kS), after);
}

TEST(Duration, RoundsToNearestNanosecond) {
    EXPECT_EQ(NtpDuration{1}.to_ns(), 0);  // 0.23 ns
    EXPECT_EQ(NtpDuration{3}.to_ns(), 1);  // 0.70 ns
    EXPECT_EQ(NtpDuration{-3}.to_ns(), -1);
    EXPECT_EQ(NtpDuration{int64_t{1} << 32}.to_ns(), kS);
    EXPECT_EQ(NtpDuration::from_ns(-1'500'000'000).fixed, -6'442'450'944);
    EXPECT_EQ(NtpDuration::from_ns(1).fixed, 4);
    EXPECT_EQ(NtpDuration::from_ns(INT64_MAX).fixed, INT64_MAX);  // saturates beyond 68 years
    EXPECT_EQ(NtpDuration::from_ns(INT64_MIN).fixed, INT64_MIN);
}

TEST(Duration, NsRoundTripIsExact) {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int64_t> span(-(int64_t{1} << 31) * kS + kS,
                                                (int64_t{1} << 31) * kS - kS);
    for (int i = 0; i < 20000; ++i) {
        const int64_t ns = span(rng);
        ASSERT_EQ(NtpDuration::from_ns(ns).to_ns(), ns);
    }
}

TEST(Short, Conversions) {
    EXPECT_EQ(NtpShort{0x0001'0000}.to_ns(), kS);
    EXPECT_EQ(NtpShort{0x0000'8000}.to_ns(), kS / 2);
    EXPECT_EQ(NtpShort{1}.to_ns(), 15'259);  // 15258.789 ns
    EXPECT_EQ(NtpShort::from_ns(kS).raw, 0x0001'0000u);
    EXPECT_EQ(NtpShort::from_ns(1).raw, 1u);  // rounded up: a bound never shrinks
    EXPECT_EQ(NtpShort::from_ns(-5).raw, 0u);
    EXPECT_EQ(NtpShort::from_ns(INT64_MAX).raw, 0xFFFF'FFFFu);
}

TEST(Poll, Log2ToNanoseconds) {
    EXPECT_EQ(PollInterval{6}.to_ns(), 64 * kS);
    EXPECT_EQ(PollInterval{0}.to_ns(), kS);
    EXPECT_EQ(PollInterval{-2}.to_ns(), kS / 4);
    EXPECT_EQ(PollInterval{17}.to_ns(), 131'072 * kS);
    // Wire garbage must not shift out of range.
    EXPECT_EQ(PollInterval{127}.to_ns(), kS << 33);
    EXPECT_EQ(PollInterval{-128}.to_ns(), 0);
}

}  // namespace
}  // namespace ntplite::proto
