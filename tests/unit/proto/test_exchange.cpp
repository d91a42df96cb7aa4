// RFC 5905 section 8 offset/delay, hand-computed, including an exchange straddling 2036.
#include "proto/exchange.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

namespace ntplite::proto {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kEra1Unix_ns = int64_t{2'085'978'496} * kNsPerSecond;

Exchange at_ns(int64_t t1, int64_t t2, int64_t t3, int64_t t4) {
    return {NtpTimestamp::from_unix_ns(t1), NtpTimestamp::from_unix_ns(t2),
            NtpTimestamp::from_unix_ns(t3), NtpTimestamp::from_unix_ns(t4)};
}

TEST(Exchange, ServerAheadGivesPositiveOffset) {
    const int64_t base = 1'700'000'000 * kNsPerSecond;
    // T2-T1 = 600 ms, T3-T4 = 400 ms -> offset 500 ms; delay = 300 - 100 = 200 ms.
    const auto r =
        compute_exchange(at_ns(base, base + 600 * kMs, base + 700 * kMs, base + 300 * kMs));
    EXPECT_EQ(r.offset_ns, 500 * kMs);
    EXPECT_EQ(r.delay_ns, 200 * kMs);
}

TEST(Exchange, ServerBehindGivesNegativeOffset) {
    const int64_t base = 1'700'000'000 * kNsPerSecond;
    // T2-T1 = -500 ms, T3-T4 = -600 ms -> offset -550 ms; delay = 200 - 100 = 100 ms.
    const auto r =
        compute_exchange(at_ns(base, base - 500 * kMs, base - 400 * kMs, base + 200 * kMs));
    EXPECT_EQ(r.offset_ns, -550 * kMs);
    EXPECT_EQ(r.delay_ns, 100 * kMs);
}

TEST(Exchange, ReorderedTimestampsGiveNegativeDelay) {
    const int64_t base = 1'700'000'000 * kNsPerSecond;
    // T4 before T1 (client clock stepped back): delay = -10 - 10 = -20 ms, offset = (50+70)/2.
    const auto r = compute_exchange(at_ns(base, base + 50 * kMs, base + 60 * kMs, base - 10 * kMs));
    EXPECT_EQ(r.delay_ns, -20 * kMs);
    EXPECT_EQ(r.offset_ns, 60 * kMs);
}

TEST(Exchange, OneNanosecondResolution) {
    const int64_t base = 1'700'000'000 * kNsPerSecond;
    const auto r = compute_exchange(at_ns(base, base + 3, base + 5, base + 4));
    EXPECT_EQ(r.offset_ns, 2);  // (3 + 1) / 2
    EXPECT_EQ(r.delay_ns, 2);   // 4 - 2
}

TEST(Exchange, StraddlesTheEraBoundary) {
    // T1 = 2036-02-07T06:28:15.9Z (era 0), T2..T4 in era 1.
    const int64_t b = kEra1Unix_ns;
    const Exchange e = at_ns(b - 100 * kMs, b + 200 * kMs, b + 300 * kMs, b + 100 * kMs);
    ASSERT_EQ(e.t1_client_transmit.seconds(), 0xFFFF'FFFFu);
    ASSERT_EQ(e.t2_server_receive.seconds(), 0u);
    const auto r = compute_exchange(e);
    EXPECT_EQ(r.offset_ns, 250 * kMs);  // (300 + 200) / 2
    EXPECT_EQ(r.delay_ns, 100 * kMs);   // 200 - 100
}

TEST(Exchange, ServerInOtherEraThanClient) {
    // Client still in era 0 by its clock, server already in era 1: offset +2 s.
    const int64_t b = kEra1Unix_ns;
    const auto r =
        compute_exchange(at_ns(b - 1'500 * kMs, b + 500 * kMs, b + 510 * kMs, b - 1'480 * kMs));
    EXPECT_EQ(r.offset_ns, 1'995 * kMs);  // (2000 + 1990) / 2
    EXPECT_EQ(r.delay_ns, 10 * kMs);      // 20 - 10
}

TEST(Exchange, RandomExchangesAreExactToTheNanosecond) {
    std::mt19937_64 rng(5905);
    std::uniform_int_distribution<int64_t> base_dist(0, int64_t{4'000'000'000} * kNsPerSecond);
    std::uniform_int_distribution<int64_t> step(-1'000 * kNsPerSecond, 1'000 * kNsPerSecond);
    for (int i = 0; i < 20000; ++i) {
        const int64_t t1 = base_dist(rng);
        const int64_t t2 = t1 + step(rng), t3 = t2 + step(rng), t4 = t1 + step(rng);
        const auto r = compute_exchange(at_ns(t1, t2, t3, t4));
        const int64_t twice_offset = (t2 - t1) + (t3 - t4);
        ASSERT_EQ(r.delay_ns, (t4 - t1) - (t3 - t2));
        if (twice_offset % 2 == 0) {
            ASSERT_EQ(r.offset_ns, twice_offset / 2);
        } else {
            // Exactly half a nanosecond: either neighbour is a correct rounding.
            ASSERT_LE(std::llabs(2 * r.offset_ns - twice_offset), 1);
        }
    }
}

}  // namespace
}  // namespace ntplite::proto
