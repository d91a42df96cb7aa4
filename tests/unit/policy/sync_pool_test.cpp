// Pool membership policy and the resolution retry schedule (pure, no IO).
#include <gtest/gtest.h>

#include "daemon/policy/sync/sync_pool.hpp"

namespace ntplite::daemon {
namespace {

SourceAddress addr(const char* text, uint16_t port = 123) {
    return SourceAddress{*config::parse_ip(text), port};
}
constexpr int64_t kSec = 1'000'000'000;

TEST(ResolveRetry, DoublesFromTwoSecondsAndIsCapped) {
    EXPECT_EQ(resolve_retry_delay_ns(1), 2 * kSec);
    EXPECT_EQ(resolve_retry_delay_ns(2), 4 * kSec);
    EXPECT_EQ(resolve_retry_delay_ns(5), 32 * kSec);
    EXPECT_EQ(resolve_retry_delay_ns(0), 2 * kSec);  // nonsense input: the shortest delay
    int64_t prev = 0;
    for (int f = 1; f < 100; ++f) {
        int64_t d = resolve_retry_delay_ns(f);
        EXPECT_GE(d, prev);
        EXPECT_LE(d, kMaxResolveRetry_ns);
        prev = d;
    }
    EXPECT_EQ(resolve_retry_delay_ns(1000), kMaxResolveRetry_ns);
}

TEST(PoolMembership, ChoosesDistinctAddressesUpToTheWantedCount) {
    PoolMembership p(3);
    std::vector<SourceAddress> r{addr("10.0.0.1"), addr("10.0.0.1"), addr("10.0.0.2"),
                                 addr("10.0.0.3"), addr("10.0.0.4")};
    auto c = p.choose(r, 0);
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0], addr("10.0.0.1"));
    EXPECT_EQ(c[1], addr("10.0.0.2"));
    EXPECT_EQ(c[2], addr("10.0.0.3"));
    for (const auto& a : c) p.add(a);
    EXPECT_EQ(p.free_slots(), 0u);
    EXPECT_TRUE(p.choose(r, 0).empty());
}

TEST(PoolMembership, SameAddressOtherPortIsDistinct) {
    PoolMembership p(2);
    std::vector<SourceAddress> r{addr("10.0.0.1", 123), addr("10.0.0.1", 124)};
    EXPECT_EQ(p.choose(r, 0).size(), 2u);
}

TEST(PoolMembership, UnreachableMemberIsReplacedByAnotherAddress) {
    PoolMembership p(2, 100 * kSec);
    std::vector<SourceAddress> r{addr("10.0.0.1"), addr("10.0.0.2"), addr("10.0.0.3")};
    for (const auto& a : p.choose(r, 0)) p.add(a);
    ASSERT_TRUE(p.drop(addr("10.0.0.1"), DropReason::kUnreachable, 10 * kSec));
    EXPECT_FALSE(p.drop(addr("10.0.0.1"), DropReason::kUnreachable, 10 * kSec));  // not a member
    auto c = p.choose(r, 11 * kSec);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0], addr("10.0.0.3"));  // not the dropped one, not a current member
    // The ban ends: the address may come back later.
    EXPECT_TRUE(p.banned(addr("10.0.0.1"), 109 * kSec));
    EXPECT_FALSE(p.banned(addr("10.0.0.1"), 110 * kSec));
}

TEST(PoolMembership, EmptyPoolRetriesTemporarilyBannedAddresses) {
    PoolMembership p(2, 100 * kSec);
    std::vector<SourceAddress> r{addr("10.0.0.1"), addr("10.0.0.2")};
    for (const auto& a : p.choose(r, 0)) p.add(a);
    p.drop(addr("10.0.0.1"), DropReason::kUnreachable, 0);
    // Another member is still in use: the banned address stays out.
    EXPECT_TRUE(p.choose(r, kSec).empty());
    p.drop(addr("10.0.0.2"), DropReason::kDenied, 0);
    // Now nothing is in use: the unreachable one is retried, the denied one never.
    auto c = p.choose(r, kSec);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0], addr("10.0.0.1"));
    EXPECT_TRUE(p.denied(addr("10.0.0.2")));
    EXPECT_FALSE(p.denied(addr("10.0.0.1")));
}

TEST(PoolMembership, DeniedAddressIsNeverUsedAgain) {
    PoolMembership p(1, 10 * kSec);
    std::vector<SourceAddress> r{addr("10.0.0.1")};
    p.add(addr("10.0.0.1"));
    p.drop(addr("10.0.0.1"), DropReason::kDenied, 0);
    EXPECT_TRUE(p.choose(r, 1000000 * kSec).empty());
    EXPECT_EQ(p.free_slots(), 1u);
}

TEST(PoolMembership, RemovedWithoutBan) {
    PoolMembership p(1);
    p.add(addr("10.0.0.1"));
    p.drop(addr("10.0.0.1"), DropReason::kRemoved, 0);
    EXPECT_EQ(p.choose(std::vector<SourceAddress>{addr("10.0.0.1")}, 0).size(), 1u);
}

TEST(PoolMembership, FalsetickerReplacedOnlyAfterConsecutiveStrikes) {
    PoolMembership p(2);
    auto a = addr("10.0.0.1");
    p.add(a);
    for (int i = 1; i < PoolMembership::kFalsetickerStrikes; ++i)
        EXPECT_FALSE(p.note_verdict(a, true));
    EXPECT_FALSE(p.note_verdict(a, false));  // one good verdict resets the count
    for (int i = 1; i < PoolMembership::kFalsetickerStrikes; ++i)
        EXPECT_FALSE(p.note_verdict(a, true));
    EXPECT_TRUE(p.note_verdict(a, true));
    p.drop(a, DropReason::kFalseticker, 0);
    EXPECT_TRUE(p.banned(a, 1));
    // Strikes do not carry over to a later membership of the same address.
    PoolMembership q(1, 1);
    q.add(a);
    for (int i = 1; i < PoolMembership::kFalsetickerStrikes; ++i) q.note_verdict(a, true);
    q.drop(a, DropReason::kFalseticker, 0);
    q.add(a);
    EXPECT_FALSE(q.note_verdict(a, true));
}

}  // namespace
}  // namespace ntplite::daemon
