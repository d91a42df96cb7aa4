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

TEST(Source, IburstSendsFourRequestsOneSecondApartThenRampsUpToThePoll) {
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
        EXPECT_EQ(*a.timer_at_ns - t, Source::kBurstSpacing_ns) << "request " << i;
        EXPECT_EQ(*a.timer_at_ns - t, 1 * kS) << "request " << i;
        last_send = t;
        t = *a.timer_at_ns;
    }
    // Four replies: the burst ends without a fifth request; the start-up ramp follows (2, 4, 8,
    // 16, 32 s), then the 64 s poll.
    SourceActions after = s.on_timer(t, rng);
    EXPECT_FALSE(after.send);
    ASSERT_TRUE(after.timer_at_ns);
    EXPECT_EQ(*after.timer_at_ns, last_send + 2 * kS);
    EXPECT_EQ(s.requests_sent(), 4u);
    t = *after.timer_at_ns;
    for (int64_t expect_s : {4, 8, 16, 32, 64, 64}) {
        SourceActions a = s.on_timer(t, rng);
        ASSERT_TRUE(a.send);
        Reply r = make_reply(a, t, 0, 1000);
        s.on_response(r.bytes, t + 3000, t + 3000);
        ASSERT_TRUE(a.timer_at_ns);
        EXPECT_EQ(*a.timer_at_ns - t, expect_s * kS);
        t = *a.timer_at_ns;
    }
}

TEST(Source, AResyncBurstHasNoRamp) {
    SeededRandom rng(1);
    SourceConfig c = cfg(6, 10);
    Source s(c);
    int64_t t = kT0;
    s.on_timer(t, rng);
    t += 64 * kS;
    ASSERT_TRUE(s.burst(t).timer_at_ns);
    int64_t last_send = 0;
    for (int i = 0; i < 4; ++i) {
        SourceActions a = s.on_timer(t, rng);
        ASSERT_TRUE(a.send);
        Reply r = make_reply(a, t, 0, 1000);
        s.on_response(r.bytes, t + 3000, t + 3000);
        last_send = t;
        t = *a.timer_at_ns;
    }
    SourceActions after = s.on_timer(t, rng);
    EXPECT_FALSE(after.send);
    EXPECT_EQ(*after.timer_at_ns, last_send + 64 * kS) << "only the start-up burst ramps";
}

TEST(Source, AStepMovesThePollScheduleToTheNewTimescale) {
    // The next poll is timed from the last request: after a step back of 10 s it must not come
    // 10 s late (nor after a step forward at once).
    SeededRandom rng(1);
    SourceConfig c = cfg(4, 6);
    c.iburst = true;
    Source s(c);
    s.start(kT0, rng);
    int64_t t = kT0;
    int64_t last_send = 0;
    for (int i = 0; i < 4; ++i) {
        SourceActions a = s.on_timer(t, rng);
        Reply r = make_reply(a, t, 0, 1000);
        s.on_response(r.bytes, t + 3000, t + 3000);
        last_send = t;
        t = *a.timer_at_ns;
    }
    s.on_clock_correction(-10 * kS, 0.0, t - kS / 2, true);
    SourceActions after = s.on_timer(t - 10 * kS, rng);
    ASSERT_TRUE(after.timer_at_ns);
    EXPECT_EQ(*after.timer_at_ns, last_send - 10 * kS + 2 * kS);
}

TEST(Source, IburstRetriesLostRequests) {
    SeededRandom rng(1);
    SourceConfig c = cfg(6, 10);
    c.iburst = true;
    Source s(c);
    s.start(kT0, rng);
    // Nobody answers: 12 requests 1 s apart; after that many unanswered polls the source counts
    // as silent and is polled at maxpoll (no start-up ramp: the burst never completed).
    int64_t t = kT0;
    for (int i = 0; i < 12; ++i) {
        SourceActions a = s.on_timer(t, rng);
        EXPECT_EQ(*a.timer_at_ns - t, i < 11 ? 1 * kS : 1024 * kS) << i;
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

// ---- popcorn-spike gate, issue 11: hold, ask again at once, confirm or drop ---------------

// A source polled at 16 s whose samples so far were 0 +- 2 us (jitter ~2 us); then `next`.
struct GateFixture {
    SeededRandom rng{1};
    Source s{cfg(4, 4)};
    int64_t t = kT0;
    SourceActions last;
    int64_t last_used_ns = 0;

    GateFixture() {
        for (int i = 0; i < 8; ++i) {
            ResponseResult r = poll((i % 2) ? 2'000 : -2'000);
            last_used_ns = r.filter->best.offset_ns;
            s.note_sample_used(last_used_ns, t);
        }
    }
    int64_t jitter_ns() const { return s.filter().current(t)->jitter_ns; }
    // One poll at the current time, answered with `offset_ns`; the clock then moves on to the
    // next timer.
    ResponseResult poll(int64_t offset_ns) {
        last = s.on_timer(t, rng);
        Reply r = make_reply(last, t, offset_ns, 1000);
        ResponseResult res = s.on_response(r.bytes, t + 3000, t + 3000);
        t = res.actions.timer_at_ns ? *res.actions.timer_at_ns : *last.timer_at_ns;
        return res;
    }
};

TEST(SourceSpikeGate, AFarSampleIsHeldAndTheNextRequestComesAtOnce) {
    GateFixture f;
    int64_t before = f.t;
    ResponseResult r = f.poll(300'000);
    EXPECT_TRUE(r.spike);
    EXPECT_FALSE(r.held);
    ASSERT_TRUE(r.actions.timer_at_ns);
    EXPECT_EQ(*r.actions.timer_at_ns, before + 3000 + Source::kBurstSpacing_ns);
}

TEST(SourceSpikeGate, TwoFarSamplesOnOneSideAreAConfirmedMove) {
    GateFixture f;
    ASSERT_TRUE(f.poll(300'000).spike);
    ResponseResult r = f.poll(310'000);
    EXPECT_FALSE(r.spike);
    EXPECT_TRUE(r.confirmed_change);
    ASSERT_TRUE(r.held);
    EXPECT_NEAR(static_cast<double>(r.held->offset_ns), 300'000.0, 1'000.0);
}

TEST(SourceSpikeGate, ASpikeFollowedByANormalSampleIsDropped) {
    GateFixture f;
    ASSERT_TRUE(f.poll(300'000).spike);
    ResponseResult r = f.poll(1'000);
    EXPECT_FALSE(r.spike);
    EXPECT_FALSE(r.confirmed_change);
    EXPECT_FALSE(r.held) << "beyond the spike gate and not confirmed: a popcorn spike";
}

TEST(SourceSpikeGate, TwoSpikesOnOppositeSidesAreNotAMoveAndAskOnlyOnce) {
    GateFixture f;
    ASSERT_TRUE(f.poll(300'000).spike);
    ResponseResult r = f.poll(-300'000);
    EXPECT_TRUE(r.spike);
    EXPECT_FALSE(r.confirmed_change);
    EXPECT_FALSE(r.held);
    EXPECT_FALSE(r.actions.timer_at_ns) << "one early request per held sample";
}

TEST(SourceSpikeGate, AHeldSampleBetweenTheGatesIsReleasedWithTheNext) {
    // Beyond 2.5 jitters (held, asked again) but within the RFC's 3 (no popcorn spike): if the
    // next sample does not confirm a move, both go to the discipline as ordinary samples.
    GateFixture f;
    const int64_t between = f.last_used_ns + f.jitter_ns() * 11 / 4;
    ASSERT_TRUE(f.poll(between).spike);
    ResponseResult r = f.poll(f.last_used_ns);
    EXPECT_FALSE(r.spike);
    EXPECT_FALSE(r.confirmed_change);
    ASSERT_TRUE(r.held);
    EXPECT_NEAR(static_cast<double>(r.held->offset_ns), static_cast<double>(between), 1'000.0);
}

TEST(SourceSpikeGate, OffWhileTheEngineSaysSo) {
    GateFixture f;
    f.s.set_spike_gate(false);
    ResponseResult r = f.poll(300'000);
    EXPECT_FALSE(r.spike);
    EXPECT_FALSE(r.actions.timer_at_ns);
}

}  // namespace
}  // namespace ntplite::clock

namespace ntplite::clock {
namespace {

// Issue 14 fault table, KoD storm: a server that answers every request with KoD RATE while the
// operator (or a script) asks for a resync every 100 ms. The source must back off and stay
// backed off: each RATE pushes the next request one poll step further out (overriding the
// burst's 1 s spacing), and the resyncs are absorbed by the unfinished burst.
TEST(Source, KodRateStormWithResyncSpamStaysBackedOff) {
    SeededRandom rng(1);
    SourceConfig c = cfg(0, 6);
    c.iburst = true;
    Source s(c);
    int64_t next_timer = *s.start(kT0, rng).timer_at_ns;
    int requests = 0;
    for (int64_t now = kT0; now < kT0 + 128 * kS; now += kS / 10) {
        if (auto b = s.burst(now).timer_at_ns) next_timer = *b;  // resync every 100 ms
        if (now < next_timer) continue;
        SourceActions a = s.on_timer(now, rng);
        next_timer = a.timer_at_ns.value_or(INT64_MAX);
        if (!a.send) continue;
        ++requests;
        ResponseResult r = s.on_response(make_kod(a, "RATE").bytes, now + 1000, now + 1000);
        EXPECT_EQ(r.outcome, ResponseOutcome::kKissRate);
        if (r.actions.timer_at_ns) next_timer = *r.actions.timer_at_ns;
    }
    // Poll 2^1, 2^2, ... after each RATE: requests at 0, 2, 6, 14, 30, 62, 126 s.
    EXPECT_LE(requests, 7) << "requests: " << requests;
    EXPECT_GE(s.poll_log2(), 6);
}

}  // namespace
}  // namespace ntplite::clock
