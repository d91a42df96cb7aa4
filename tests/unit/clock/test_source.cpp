#include <gtest/gtest.h>

#include <array>

#include "clock/source.hpp"
#include "proto/packet.hpp"
#include "proto/refid.hpp"

namespace ntplite::clock {
namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kS;

struct Reply {
    std::array<std::byte, proto::kHeaderSize> bytes{};
};

// A server reply to `request` (the bytes the source sent): server clock = client clock + offset.
Reply make_reply(const SourceActions& request, int64_t t1_ns, int64_t offset_ns, int64_t one_way_ns,
                 uint8_t stratum = 1, uint32_t refid = proto::refid_from_ascii("GPS")) {
    auto req = proto::parse(request.request.view());
    EXPECT_TRUE(req.has_value());
    proto::Packet p;
    p.mode = proto::Mode::kServer;
    p.version = 4;
    p.stratum = stratum;
    p.refid = refid;
    p.precision_log2 = -20;
    p.origin = req->transmit;
    p.receive = proto::NtpTimestamp::from_unix_ns(t1_ns + one_way_ns + offset_ns);
    p.transmit = proto::NtpTimestamp::from_unix_ns(t1_ns + one_way_ns + offset_ns + 1000);
    p.reference = proto::NtpTimestamp::from_unix_ns(t1_ns - 10 * kS);
    Reply r;
    proto::serialize(p, r.bytes);
    return r;
}

Reply make_kod(const SourceActions& request, const char* code, bool right_origin = true,
               int8_t poll = 0) {
    auto req = proto::parse(request.request.view());
    proto::Packet p;
    p.mode = proto::Mode::kServer;
    p.leap = proto::LeapIndicator::kUnsynchronized;
    p.stratum = 0;
    p.poll_log2 = poll;
    p.refid = proto::refid_from_ascii(code);
    p.origin = right_origin ? req->transmit : proto::NtpTimestamp{req->transmit.raw ^ 0x55};
    p.receive = proto::NtpTimestamp::from_unix_ns(kT0);
    p.transmit = proto::NtpTimestamp::from_unix_ns(kT0);
    Reply r;
    proto::serialize(p, r.bytes);
    return r;
}

SourceConfig cfg(int8_t minpoll = 4, int8_t maxpoll = 6) {
    SourceConfig c;
    c.name = "test";
    c.minpoll_log2 = minpoll;
    c.maxpoll_log2 = maxpoll;
    return c;
}

TEST(Source, AcceptedReplyGivesOffsetAndDelay) {
    SeededRandom rng(1);
    Source s(cfg());
    SourceActions a = s.on_timer(kT0, rng);
    ASSERT_TRUE(a.send);
    Reply r = make_reply(a, kT0, 5'000'000, 100'000);
    ResponseResult res = s.on_response(r.bytes, kT0 + 201'000, kT0 + 201'000);
    ASSERT_EQ(res.outcome, ResponseOutcome::kAccepted);
    ASSERT_TRUE(res.filter);
    EXPECT_NEAR(static_cast<double>(res.filter->best.offset_ns), 5'000'000.0, 2.0);
    EXPECT_NEAR(static_cast<double>(res.filter->best.delay_ns), 200'000.0, 2.0);
    EXPECT_EQ(s.reach(), 1);
}

TEST(Source, TransmitTimestampIsRandomNotTheClock) {
    SeededRandom rng(7);
    Source s(cfg());
    SourceActions a = s.on_timer(kT0, rng);
    SourceActions b = s.on_timer(kT0 + 16 * kS, rng);
    auto pa = proto::parse(a.request.view());
    auto pb = proto::parse(b.request.view());
    ASSERT_TRUE(pa && pb);
    EXPECT_NE(pa->transmit, proto::NtpTimestamp::from_unix_ns(kT0));
    EXPECT_NE(pa->transmit, pb->transmit);
    EXPECT_EQ(pa->mode, proto::Mode::kClient);
}

TEST(Source, ReachRegisterShiftsEachPoll) {
    SeededRandom rng(1);
    Source s(cfg());
    int64_t t = kT0;
    for (int i = 0; i < 3; ++i) {
        SourceActions a = s.on_timer(t, rng);
        Reply r = make_reply(a, t, 0, 1000);
        s.on_response(r.bytes, t + 3000, t + 3000);
        t += 16 * kS;
    }
    EXPECT_EQ(s.reach(), 0b111);
    s.on_timer(t, rng);  // unanswered
    EXPECT_EQ(s.reach(), 0b1110);
    for (int i = 0; i < 8; ++i) s.on_timer(t += 16 * kS, rng);
    EXPECT_EQ(s.reach(), 0);
    EXPECT_EQ(s.reachability(), Reachability::kUnreachable);
}

TEST(Source, OriginMismatchIsRejected) {
    SeededRandom rng(1);
    Source s(cfg());
    SourceActions a = s.on_timer(kT0, rng);
    SourceActions other = a;
    other.request.bytes[40] = std::byte{0x12};  // a request we never sent
    other.request.bytes[47] = std::byte{0x34};
    Reply r = make_reply(other, kT0, 0, 1000);
    ResponseResult res = s.on_response(r.bytes, kT0 + 3000, kT0 + 3000);
    EXPECT_EQ(res.outcome, ResponseOutcome::kFailedCheck);
    EXPECT_EQ(res.check, proto::CheckFailure::kBogusOrigin);
    EXPECT_EQ(s.reach(), 0);
    // The genuine reply still counts afterwards.
    Reply good = make_reply(a, kT0, 0, 1000);
    EXPECT_EQ(s.on_response(good.bytes, kT0 + 3000, kT0 + 3000).outcome,
              ResponseOutcome::kAccepted);
}

TEST(Source, SecondCopyOfAReplyIsUnexpected) {
    SeededRandom rng(1);
    Source s(cfg());
    SourceActions a = s.on_timer(kT0, rng);
    Reply r = make_reply(a, kT0, 0, 1000);
    EXPECT_EQ(s.on_response(r.bytes, kT0 + 3000, kT0 + 3000).outcome, ResponseOutcome::kAccepted);
    EXPECT_EQ(s.on_response(r.bytes, kT0 + 4000, kT0 + 4000).outcome, ResponseOutcome::kUnexpected);
}

TEST(Source, GarbageIsMalformedNotACrash) {
    SeededRandom rng(1);
    Source s(cfg());
    s.on_timer(kT0, rng);
    std::array<std::byte, 10> junk{};
    ResponseResult res = s.on_response(junk, kT0, kT0);
    EXPECT_EQ(res.outcome, ResponseOutcome::kMalformed);
    EXPECT_EQ(res.parse_error, proto::ParseError::kTooShort);
}

TEST(Source, UnsynchronizedServerFailsCheck) {
    SeededRandom rng(1);
    Source s(cfg());
    SourceActions a = s.on_timer(kT0, rng);
    Reply r = make_reply(a, kT0, 0, 1000, 16);
    ResponseResult res = s.on_response(r.bytes, kT0 + 3000, kT0 + 3000);
    EXPECT_EQ(res.outcome, ResponseOutcome::kFailedCheck);
    EXPECT_EQ(res.check, proto::CheckFailure::kUnsynchronized);
}

TEST(Source, KodRateBacksOffPoll) {
    SeededRandom rng(1);
    Source s(cfg(4, 6));
    SourceActions a = s.on_timer(kT0, rng);
    EXPECT_EQ(s.poll_log2(), 4);
    Reply kod = make_kod(a, "RATE");
    ResponseResult res = s.on_response(kod.bytes, kT0 + 1000, kT0 + 1000);
    EXPECT_EQ(res.outcome, ResponseOutcome::kKissRate);
    EXPECT_EQ(s.poll_log2(), 5);
    EXPECT_EQ(s.last_kiss(), proto::KissCode::kRate);
    ASSERT_TRUE(res.actions.timer_at_ns);
    EXPECT_EQ(*res.actions.timer_at_ns, kT0 + 32 * kS);
    // Each further RATE backs off again, past maxpoll if need be.
    int64_t t = kT0;
    for (int i = 0; i < 3; ++i) {
        t += 64 * kS;
        SourceActions b = s.on_timer(t, rng);
        Reply k = make_kod(b, "RATE");
        s.on_response(k.bytes, t + 1000, t + 1000);
    }
    EXPECT_EQ(s.poll_log2(), 8);
    EXPECT_FALSE(s.demobilized());
}

TEST(Source, KodRateHonoursServerPoll) {
    SeededRandom rng(1);
    Source s(cfg(4, 6));
    SourceActions a = s.on_timer(kT0, rng);
    Reply kod = make_kod(a, "RATE", true, 10);
    s.on_response(kod.bytes, kT0 + 1000, kT0 + 1000);
    EXPECT_EQ(s.poll_log2(), 10);
}

TEST(Source, KodDenyDemobilizes) {
    for (const char* code : {"DENY", "RSTR"}) {
        SeededRandom rng(1);
        SourceConfig c = cfg();
        c.pool_member = true;
        Source s(c);
        SourceActions a = s.on_timer(kT0, rng);
        Reply kod = make_kod(a, code);
        ResponseResult res = s.on_response(kod.bytes, kT0 + 1000, kT0 + 1000);
        EXPECT_EQ(res.outcome, ResponseOutcome::kKissDeny) << code;
        EXPECT_TRUE(res.actions.demobilize);
        EXPECT_TRUE(res.actions.reresolve) << "pool members are replaced";
        EXPECT_TRUE(s.demobilized());
        EXPECT_FALSE(s.on_timer(kT0 + 64 * kS, rng).send) << "no more requests";
    }
}

TEST(Source, KodWithWrongOriginIsIgnored) {
    SeededRandom rng(1);
    Source s(cfg());
    SourceActions a = s.on_timer(kT0, rng);
    Reply kod = make_kod(a, "DENY", false);
    ResponseResult res = s.on_response(kod.bytes, kT0 + 1000, kT0 + 1000);
    EXPECT_EQ(res.outcome, ResponseOutcome::kFailedCheck);
    EXPECT_EQ(res.check, proto::CheckFailure::kBogusOrigin);
    EXPECT_FALSE(s.demobilized());
    EXPECT_FALSE(s.last_kiss().has_value());
    Reply rate = make_kod(a, "RATE", false);
    s.on_response(rate.bytes, kT0 + 1000, kT0 + 1000);
    EXPECT_EQ(s.poll_log2(), 4) << "a spoofed RATE must not slow us down";
}

TEST(Source, IburstSendsFourRequestsTwoSecondsApart) {
    SeededRandom rng(1);
    SourceConfig c = cfg(6, 10);
    c.iburst = true;
    Source s(c);
    SourceActions start = s.start(kT0, rng);
    ASSERT_TRUE(start.timer_at_ns);
    EXPECT_EQ(*start.timer_at_ns, kT0);
    int64_t t = kT0;
    int64_t last_send = 0;
    for (int i = 0; i < 4; ++i) {
        SourceActions a = s.on_timer(t, rng);
        ASSERT_TRUE(a.send);
        Reply r = make_reply(a, t, 0, 1000);
        s.on_response(r.bytes, t + 3000, t + 3000);
        ASSERT_TRUE(a.timer_at_ns);
        EXPECT_EQ(*a.timer_at_ns - t, 2 * kS) << "request " << i;
        last_send = t;
        t = *a.timer_at_ns;
    }
    // Four replies: the burst ends without a fifth request and normal polling resumes.
    SourceActions after = s.on_timer(t, rng);
    EXPECT_FALSE(after.send);
    ASSERT_TRUE(after.timer_at_ns);
    EXPECT_EQ(*after.timer_at_ns, last_send + 64 * kS);
    EXPECT_EQ(s.requests_sent(), 4u);
}

TEST(Source, IburstRetriesLostRequests) {
    SeededRandom rng(1);
    SourceConfig c = cfg(6, 10);
    c.iburst = true;
    Source s(c);
    s.start(kT0, rng);
    // Nobody answers: 12 requests 2 s apart; after that many unanswered polls the source counts
    // as silent and is polled at maxpoll.
    int64_t t = kT0;
    for (int i = 0; i < 12; ++i) {
        SourceActions a = s.on_timer(t, rng);
        EXPECT_EQ(*a.timer_at_ns - t, i < 11 ? 2 * kS : 1024 * kS) << i;
        t = *a.timer_at_ns;
    }
}

TEST(Source, PollHintIsClampedToRange) {
    SeededRandom rng(1);
    Source s(cfg(4, 6));
    s.set_poll_hint(9);
    s.on_timer(kT0, rng);
    EXPECT_EQ(s.poll_log2(), 6);
    s.set_poll_hint(1);
    s.on_timer(kT0 + 64 * kS, rng);
    EXPECT_EQ(s.poll_log2(), 4);
}

TEST(Source, StepVoidsTheOutstandingRequest) {
    SeededRandom rng(1);
    Source s(cfg());
    SourceActions a = s.on_timer(kT0, rng);
    s.on_clock_correction(10 * kS, 0.0, kT0 + 1000, true);
    Reply r = make_reply(a, kT0, 0, 1000);
    EXPECT_EQ(s.on_response(r.bytes, kT0 + 3000, kT0 + 3000).outcome, ResponseOutcome::kUnexpected);
}

TEST(Source, PoolMemberUnreachableAsksForReplacement) {
    SeededRandom rng(1);
    SourceConfig c = cfg();
    c.pool_member = true;
    c.unreachable_polls_before_replace = 3;
    Source s(c);
    bool asked = false;
    int64_t t = kT0;
    for (int i = 0; i < 3 && !asked; ++i) asked = s.on_timer(t += 16 * kS, rng).reresolve;
    EXPECT_TRUE(asked);
}

}  // namespace
}  // namespace ntplite::clock
