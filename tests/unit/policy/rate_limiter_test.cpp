// Rate limiter: burst, refill, limited decisions, leak fraction, fixed table with eviction.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <string>

#include "daemon/policy/server/rate_limiter.hpp"

namespace ntplite::daemon {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

config::IpAddress ip(const char* s) {
    return *config::parse_ip(s);
}
config::IpAddress nth_client(uint32_t n) {
    return config::IpAddress::from_v4(
        {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
}

config::RateLimitConfig cfg(int interval_log2, unsigned burst, double leak, bool kod,
                            unsigned table = 64) {
    config::RateLimitConfig c;
    c.enabled = true;
    c.interval_log2 = interval_log2;
    c.burst = burst;
    c.leak = leak;
    c.kod = kod;
    c.table_size = table;
    return c;
}

TEST(RateLimiter, BurstIsAllowedThenLimited) {
    RateLimiter rl{cfg(3, 4, 0.0, true)};
    const auto a = ip("192.0.2.1");
    for (int i = 0; i < 4; ++i) EXPECT_EQ(rl.check(a, 100 * kSecond), RateDecision::kAllow) << i;
    EXPECT_EQ(rl.check(a, 100 * kSecond), RateDecision::kKiss);
    // One KoD per interval: the rest of a flood is dropped, not reflected one for one.
    EXPECT_EQ(rl.check(a, 100 * kSecond), RateDecision::kDrop);
    EXPECT_EQ(rl.check(a, 107 * kSecond), RateDecision::kDrop);
    EXPECT_EQ(rl.check(a, 108 * kSecond), RateDecision::kAllow);  // one interval refilled one
    EXPECT_EQ(rl.check(a, 108 * kSecond), RateDecision::kKiss);   // and the KoD budget
    RateLimiter quiet{cfg(3, 4, 0.0, false)};
    for (int i = 0; i < 4; ++i) quiet.check(a, 0);
    EXPECT_EQ(quiet.check(a, 0), RateDecision::kDrop);
}

TEST(RateLimiter, RefillsOneRequestPerInterval) {
    RateLimiter rl{cfg(3, 2, 0.0, false)};  // 8 s interval
    const auto a = ip("192.0.2.1");
    int64_t t = 1000 * kSecond;
    EXPECT_EQ(rl.check(a, t), RateDecision::kAllow);
    EXPECT_EQ(rl.check(a, t), RateDecision::kAllow);
    EXPECT_EQ(rl.check(a, t), RateDecision::kDrop);
    EXPECT_EQ(rl.check(a, t + 7 * kSecond), RateDecision::kDrop);   // not yet a whole interval
    EXPECT_EQ(rl.check(a, t + 8 * kSecond), RateDecision::kAllow);  // one interval: one request
    EXPECT_EQ(rl.check(a, t + 8 * kSecond), RateDecision::kDrop);
    // A client polling at exactly the average rate is never limited.
    for (int i = 2; i < 50; ++i) EXPECT_EQ(rl.check(a, t + i * 8 * kSecond), RateDecision::kAllow);
    // Idle long enough, the whole burst is back (and not more).
    int64_t later = t + 1000 * kSecond;
    EXPECT_EQ(rl.check(a, later), RateDecision::kAllow);
    EXPECT_EQ(rl.check(a, later), RateDecision::kAllow);
    EXPECT_EQ(rl.check(a, later), RateDecision::kDrop);
}

TEST(RateLimiter, LimitedRequestsDoNotExtendThePenalty) {
    RateLimiter rl{cfg(0, 1, 0.0, false)};  // 1 s
    const auto a = ip("192.0.2.1");
    EXPECT_EQ(rl.check(a, 0), RateDecision::kAllow);
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(rl.check(a, kSecond / 2), RateDecision::kDrop);
    EXPECT_EQ(rl.check(a, kSecond), RateDecision::kAllow);
}

TEST(RateLimiter, ClientsAreIndependent) {
    RateLimiter rl{cfg(3, 1, 0.0, true)};
    const auto a = ip("192.0.2.1"), b = ip("192.0.2.2"), mapped_a = ip("::ffff:192.0.2.1");
    EXPECT_EQ(rl.check(a, 0), RateDecision::kAllow);
    EXPECT_EQ(rl.check(a, 0), RateDecision::kKiss);
    EXPECT_EQ(rl.check(mapped_a, 0), RateDecision::kDrop);  // same client, KoD already sent
    EXPECT_EQ(rl.check(b, 0), RateDecision::kAllow);
    EXPECT_EQ(rl.check(b, 0), RateDecision::kKiss);
}

TEST(RateLimiter, LeakFractionIsAnsweredExactly) {
    const auto a = ip("192.0.2.1");
    for (double leak : {0.0, 0.125, 0.25, 0.5, 1.0}) {
        RateLimiter rl{cfg(10, 1, leak, true)};
        ASSERT_EQ(rl.check(a, 0), RateDecision::kAllow);
        int leaked = 0, kissed = 0, dropped = 0;
        for (int i = 0; i < 800; ++i) {
            auto d = rl.check(a, 0);
            leaked += d == RateDecision::kLeak;
            kissed += d == RateDecision::kKiss;
            dropped += d == RateDecision::kDrop;
        }
        EXPECT_EQ(leaked, static_cast<int>(800 * leak)) << leak;
        EXPECT_EQ(kissed, leak < 1.0 ? 1 : 0) << leak;
        EXPECT_EQ(leaked + kissed + dropped, 800);
    }
}

TEST(RateLimiter, TableSizeIsFixedAndRoundedToPowerOfTwo) {
    EXPECT_EQ(RateLimiter(cfg(3, 8, 0, true, 100)).slots(), 128u);
    EXPECT_EQ(RateLimiter(cfg(3, 8, 0, true, 16)).slots(), 16u);
}

TEST(RateLimiter, FullTableEvictsTheLeastIndebtedClient) {
    // 16 slots, 4 sets of 4: far more clients than slots must neither grow memory nor crash.
    RateLimiter rl{cfg(3, 2, 0.0, false, 16)};
    const auto flooder = ip("192.0.2.66");
    ASSERT_EQ(rl.check(flooder, 0), RateDecision::kAllow);
    ASSERT_EQ(rl.check(flooder, 0), RateDecision::kAllow);
    ASSERT_EQ(rl.check(flooder, 0), RateDecision::kDrop);
    // Many new one-shot clients: every one gets its first answer.
    for (uint32_t n = 0; n < 10'000; ++n) {
        EXPECT_EQ(rl.check(nth_client(n), kSecond), RateDecision::kAllow) << n;
        // Keep the flooder busy so its debt stays the largest in its set.
        if (n % 64 == 0) rl.check(flooder, kSecond);
    }
    EXPECT_EQ(rl.slots(), 16u);
    EXPECT_GT(rl.evictions(), 9000u);
    // The flooder, always the most indebted in its set, was never evicted: still limited.
    EXPECT_EQ(rl.check(flooder, kSecond), RateDecision::kDrop);
}

TEST(RateLimiter, SubSecondIntervals) {
    RateLimiter rl{cfg(-2, 1, 0.0, false)};  // 250 ms
    const auto a = ip("192.0.2.1");
    EXPECT_EQ(rl.check(a, 0), RateDecision::kAllow);
    EXPECT_EQ(rl.check(a, kSecond / 8), RateDecision::kDrop);
    EXPECT_EQ(rl.check(a, kSecond / 4), RateDecision::kAllow);
}

}  // namespace
}  // namespace ntplite::daemon

namespace ntplite::daemon {
namespace {

// Issue 14: the man page said "about 32 bytes" per slot while a slot was 40. The figure in the
// man page must be RateLimiter::kSlotBytes, which a static_assert ties to sizeof(Slot).
TEST(RateLimiter, ManPageSlotSizeIsTheRealOne) {
    std::ifstream f(std::string(NTPLITE_SOURCE_DIR) + "/docs/man/ntpd-lite.toml.5.scd");
    ASSERT_TRUE(f);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto key = text.find("*table_size*");
    ASSERT_NE(key, std::string::npos);
    const auto bytes = text.find(" bytes", key);
    ASSERT_NE(bytes, std::string::npos);
    auto start = bytes;
    while (start > 0 && std::isdigit(static_cast<unsigned char>(text[start - 1]))) --start;
    EXPECT_EQ(text.substr(start, bytes - start), std::to_string(RateLimiter::kSlotBytes));
}

}  // namespace
}  // namespace ntplite::daemon
