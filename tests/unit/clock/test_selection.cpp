#include <gtest/gtest.h>

#include <vector>

#include "clock/selection.hpp"

namespace ntplite::clock {
namespace {

Candidate cand(int64_t offset_us, int64_t lambda_us, uint8_t stratum = 1,
               uint32_t refid = 0x47505300) {
    Candidate c;
    c.offset_ns = offset_us * 1000;
    c.root_distance_ns = lambda_us * 1000;
    c.jitter_ns = 10'000;
    c.stratum = stratum;
    c.refid = refid;
    return c;
}

struct Run {
    SelectionResult r;
    std::vector<Verdict> v;
};

Run run(const std::vector<Candidate>& c, const SelectionConfig& cfg = {}) {
    Run out;
    out.v.assign(c.size(), Verdict::kUnusable);
    out.r = select_sources(c, cfg, out.v);
    return out;
}

TEST(Intersection, OneFalsetickerOfThree) {
    auto r = run({cand(0, 1000), cand(300, 1000), cand(100'000, 1000)});
    EXPECT_EQ(r.r.truechimers, 2);
    EXPECT_EQ(r.v[2], Verdict::kFalseticker);
    ASSERT_TRUE(r.r.system_peer);
    EXPECT_NE(*r.r.system_peer, 2u);
}

TEST(Intersection, TwoFalsetickersOfFive) {
    auto r =
        run({cand(0, 500), cand(-50'000, 500), cand(200, 500), cand(50'000, 500), cand(-100, 500)});
    EXPECT_EQ(r.r.truechimers, 3);
    EXPECT_EQ(r.v[1], Verdict::kFalseticker);
    EXPECT_EQ(r.v[3], Verdict::kFalseticker);
    for (int i : {0, 2, 4}) EXPECT_NE(r.v[i], Verdict::kFalseticker) << i;
}

TEST(Intersection, TwoDisagreeingSourcesHaveNoMajority) {
    auto r = run({cand(0, 100), cand(10'000, 100)});
    EXPECT_EQ(r.r.truechimers, 0);
    EXPECT_FALSE(r.r.system_peer);
    EXPECT_EQ(r.v[0], Verdict::kFalseticker);
    EXPECT_EQ(r.v[1], Verdict::kFalseticker);
}

TEST(Intersection, MidpointOutsideTheIntersectionIsNotAgreement) {
    // The intervals touch, but each midpoint lies outside the other's interval (RFC 5905).
    auto r = run({cand(0, 100), cand(300, 200)});
    EXPECT_FALSE(r.r.system_peer);
}

TEST(Intersection, WideIntervalsOverlappingAllAgree) {
    auto r = run({cand(0, 5000), cand(4000, 5000), cand(-4000, 5000)});
    EXPECT_EQ(r.r.truechimers, 3);
}

TEST(Intersection, HalfFalsetickersIsNoMajority) {
    // Two pairs that each agree internally but not with each other: no majority of 4.
    auto r = run({cand(0, 100), cand(50, 100), cand(10'000, 100), cand(10'050, 100)});
    EXPECT_FALSE(r.r.system_peer);
}

TEST(Selection, MinSaneSourcesRequired) {
    SelectionConfig cfg;
    cfg.min_sane_sources = 3;
    auto r = run({cand(0, 1000), cand(100, 1000), cand(90'000, 1000)}, cfg);
    EXPECT_EQ(r.r.truechimers, 2);
    EXPECT_FALSE(r.r.system_peer) << "2 agreeing sources < min_sane_sources 3";
    cfg.min_sane_sources = 2;
    EXPECT_TRUE(run({cand(0, 1000), cand(100, 1000), cand(90'000, 1000)}, cfg).r.system_peer);
}

TEST(Selection, PreferredSourceIsSystemPeerAndUsedAlone) {
    std::vector<Candidate> c{cand(0, 100), cand(200, 900), cand(100, 500)};
    c[1].prefer = true;
    auto r = run(c);
    ASSERT_TRUE(r.r.system_peer);
    EXPECT_EQ(*r.r.system_peer, 1u);
    EXPECT_EQ(r.r.offset_ns, 200'000);
}

TEST(Selection, WithoutPreferLowestStratumThenDistanceWins) {
    auto r = run({cand(0, 100, 2), cand(200, 900, 1), cand(100, 500, 1)});
    ASSERT_TRUE(r.r.system_peer);
    EXPECT_EQ(*r.r.system_peer, 2u);
    EXPECT_EQ(r.v[2], Verdict::kSelected);
}

TEST(Selection, CombinedOffsetWeightsByInverseDistance) {
    auto r = run({cand(0, 1000), cand(300, 2000)});
    // weights 1/1000 and 1/2000: (0*2 + 300*1)/3 = 100 us
    EXPECT_NEAR(static_cast<double>(r.r.offset_ns), 100'000.0, 1.0);
}

TEST(Selection, UnusableAndTooFarAreNotCandidates) {
    std::vector<Candidate> c{cand(0, 100), cand(0, 100), cand(0, 2'000'000)};
    c[1].usable = false;
    auto r = run(c);
    EXPECT_EQ(r.v[1], Verdict::kUnusable);
    EXPECT_EQ(r.v[2], Verdict::kUnusable);  // 2 s > MAXDIST 1.5 s
    EXPECT_EQ(r.v[0], Verdict::kSelected);
}

TEST(Selection, ClusterPrunesTheNoisiestOutlier) {
    SelectionConfig cfg;
    cfg.min_cluster_survivors = 2;
    // All overlap (wide intervals) but one sits far from the others relative to peer jitter.
    auto r = run({cand(0, 5000), cand(20, 5000), cand(10, 5000), cand(3000, 5000)}, cfg);
    EXPECT_EQ(r.v[3], Verdict::kOutlier);
}

TEST(TimeLoop, SourceTakingTimeFromUsIsRejectedWithReason) {
    SelectionConfig cfg;
    uint32_t our_address = 0x0a000001;  // 10.0.0.1
    cfg.own_refids = {our_address};
    auto r =
        run({cand(0, 100, 3, our_address), cand(10, 100, 1), cand(20, 100, 2, 0x0a000099)}, cfg);
    EXPECT_EQ(r.v[0], Verdict::kTimeLoop);
    EXPECT_STREQ(to_string(r.v[0]), "time-loop");
    ASSERT_TRUE(r.r.system_peer);
    EXPECT_NE(*r.r.system_peer, 0u);
}

TEST(TimeLoop, Stratum1AsciiRefidIsNeverALoop) {
    std::vector<uint32_t> own{0x47505300};
    EXPECT_FALSE(is_time_loop(cand(0, 1, 1, 0x47505300), own));
    EXPECT_TRUE(is_time_loop(cand(0, 1, 2, 0x47505300), own));
}

}  // namespace
}  // namespace ntplite::clock
