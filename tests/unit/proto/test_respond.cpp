// respond(): synchronized, unsynchronized, local stratum, v3 client, KoD RATE, and refusals.
#include "proto/respond.hpp"

#include <gtest/gtest.h>

#include <array>

#include "proto/refid.hpp"

namespace ntplite::proto {
namespace {

constexpr NtpTimestamp kClientTransmit{0xEA00'0000'1111'2222};
constexpr NtpTimestamp kReceive{0xEA00'0001'3333'4444};

Packet client_request(uint8_t version = 4) {
    Packet p;
    p.version = version;
    p.mode = Mode::kClient;
    p.poll_log2 = 6;
    p.transmit = kClientTransmit;
    return p;
}

SystemState synced_state() {
    SystemState s;
    s.leap = LeapIndicator::kNone;
    s.stratum = 2;
    s.precision_log2 = -24;
    s.root_delay = NtpShort{0x0000'0800};
    s.root_dispersion = NtpShort{0x0000'0400};
    s.refid = refid_from_ipv4({192, 0, 2, 7});
    s.reference_time = NtpTimestamp{0xE9FF'FFF0'0000'0000};
    return s;
}

struct Reply {
    RespondOutcome outcome;
    std::size_t written;
    std::array<std::byte, 64> buf;
    Packet packet;
};

Reply run(const Packet& request, const SystemState& state, bool kiss_rate = false) {
    Reply r{};
    r.buf.fill(std::byte{0x5A});
    r.written = 999;
    r.outcome = respond(request, kReceive, state, kiss_rate, std::span(r.buf).first(kHeaderSize),
                        &r.written);
    if (r.written == kHeaderSize) {
        auto p = parse(std::span(r.buf).first(kHeaderSize));
        EXPECT_TRUE(p.has_value());
        if (p) r.packet = *p;
    }
    return r;
}

TEST(Respond, SynchronizedServerReply) {
    const SystemState s = synced_state();
    const Reply r = run(client_request(), s);
    ASSERT_EQ(r.outcome, RespondOutcome::kAnswered);
    ASSERT_EQ(r.written, kHeaderSize);
    EXPECT_EQ(r.buf[48], std::byte{0x5A});  // nothing beyond 48 bytes
    const Packet& p = r.packet;
    EXPECT_EQ(p.leap, LeapIndicator::kNone);
    EXPECT_EQ(p.version, 4);
    EXPECT_EQ(p.mode, Mode::kServer);
    EXPECT_EQ(p.stratum, 2);
    EXPECT_EQ(p.poll_log2, 6);
    EXPECT_EQ(p.precision_log2, -24);
    EXPECT_EQ(p.root_delay, s.root_delay);
    EXPECT_EQ(p.root_dispersion, s.root_dispersion);
    EXPECT_EQ(p.refid, s.refid);
    EXPECT_EQ(p.reference, s.reference_time);
    EXPECT_EQ(p.origin, kClientTransmit);
    EXPECT_EQ(p.receive, kReceive);
    EXPECT_EQ(p.transmit, kReceive);
}

TEST(Respond, LeapWarningIsPassedOn) {
    SystemState s = synced_state();
    s.leap = LeapIndicator::kInsertSecond;
    EXPECT_EQ(run(client_request(), s).packet.leap, LeapIndicator::kInsertSecond);
}

TEST(Respond, UnsynchronizedIsLi3Stratum0LikeChronyd) {
    SystemState s = synced_state();
    s.stratum = 16;
    s.leap = LeapIndicator::kNone;
    for (int variant = 0; variant < 2; ++variant) {
        const Reply r = run(client_request(), s);
        ASSERT_EQ(r.outcome, RespondOutcome::kAnswered);
        EXPECT_EQ(r.packet.leap, LeapIndicator::kUnsynchronized);
        EXPECT_EQ(r.packet.stratum, 0);
        EXPECT_EQ(r.packet.refid, 0u);
        EXPECT_TRUE(r.packet.reference.is_zero());
        EXPECT_EQ(r.packet.root_delay, s.root_delay);
        EXPECT_EQ(r.packet.origin, kClientTransmit);
        // Second round: a sane stratum but the leap says "unsynchronized".
        s = synced_state();
        s.leap = LeapIndicator::kUnsynchronized;
    }
}

TEST(Respond, DefaultStateIsUnsynchronized) {
    const Reply r = run(client_request(), SystemState{});
    EXPECT_EQ(r.packet.leap, LeapIndicator::kUnsynchronized);
    EXPECT_EQ(r.packet.stratum, 0);
}

TEST(Respond, LocalStratumServer) {
    SystemState s;
    s.leap = LeapIndicator::kNone;
    s.stratum = 10;
    s.refid = refid_from_ascii("LOCL");
    const Reply r = run(client_request(), s);
    ASSERT_EQ(r.outcome, RespondOutcome::kAnswered);
    EXPECT_EQ(r.packet.stratum, 10);
    EXPECT_EQ(r.packet.leap, LeapIndicator::kNone);
    EXPECT_EQ(r.packet.refid, refid_from_ascii("LOCL"));
}

TEST(Respond, ReplyUsesTheRequestVersion) {
    for (uint8_t v : {1, 2, 3, 4}) {
        const Reply r = run(client_request(v), synced_state());
        ASSERT_EQ(r.outcome, RespondOutcome::kAnswered);
        EXPECT_EQ(r.packet.version, v);
        EXPECT_EQ(r.packet.mode, Mode::kServer);
    }
}

TEST(Respond, KissOfDeathRate) {
    const Reply r = run(client_request(3), synced_state(), /*kiss_rate=*/true);
    ASSERT_EQ(r.outcome, RespondOutcome::kKissRate);
    ASSERT_EQ(r.written, kHeaderSize);
    EXPECT_EQ(r.packet.leap, LeapIndicator::kUnsynchronized);
    EXPECT_EQ(r.packet.stratum, 0);
    EXPECT_EQ(r.packet.refid, refid_from_ascii("RATE"));
    EXPECT_EQ(r.packet.version, 3);
    EXPECT_EQ(r.packet.origin, kClientTransmit);
    EXPECT_EQ(kiss_code(r.packet), KissCode::kRate);
}

TEST(Respond, PollIsClampedToMinAndMaxPoll) {
    Packet req = client_request();
    req.poll_log2 = 0;
    EXPECT_EQ(run(req, synced_state()).packet.poll_log2, kMinReplyPoll_log2);
    req.poll_log2 = -100;
    EXPECT_EQ(run(req, synced_state()).packet.poll_log2, kMinReplyPoll_log2);
    req.poll_log2 = 10;
    EXPECT_EQ(run(req, synced_state()).packet.poll_log2, 10);
    req.poll_log2 = 100;
    EXPECT_EQ(run(req, synced_state()).packet.poll_log2, kMaxReplyPoll_log2);
}

TEST(Respond, NonClientModesAreIgnored) {
    for (Mode m : {Mode::kServer, Mode::kSymmetricActive, Mode::kSymmetricPassive, Mode::kBroadcast,
                   Mode::kControl, Mode::kPrivate}) {
        Packet req = client_request();
        req.mode = m;
        const Reply r = run(req, synced_state());
        EXPECT_EQ(r.outcome, RespondOutcome::kIgnoredNotClient);
        EXPECT_EQ(r.written, 0u);
        EXPECT_EQ(r.buf[0], std::byte{0x5A});
    }
}

TEST(Respond, NtpV1ModeZeroIsAClient) {
    Packet req = client_request(1);
    req.mode = Mode::kReserved;
    const Reply r = run(req, synced_state());
    ASSERT_EQ(r.outcome, RespondOutcome::kAnswered);
    EXPECT_EQ(r.packet.version, 1);
    EXPECT_EQ(r.packet.mode, Mode::kServer);
    req.version = 2;  // mode 0 in later versions is reserved
    EXPECT_EQ(run(req, synced_state()).outcome, RespondOutcome::kIgnoredNotClient);
}

TEST(Respond, SmallBufferIsRefusedNotOverrun) {
    std::array<std::byte, 47> small{};
    std::size_t written = 7;
    EXPECT_EQ(respond(client_request(), kReceive, synced_state(), false, small, &written),
              RespondOutcome::kIgnoredNotClient);
    EXPECT_EQ(written, 0u);
}

TEST(Respond, LargeBufferGetsExactly48Bytes) {
    std::array<std::byte, kMaxPacketSize> big{};
    big.fill(std::byte{0x77});
    std::size_t written = 0;
    ASSERT_EQ(respond(client_request(), kReceive, synced_state(), false, big, &written),
              RespondOutcome::kAnswered);
    EXPECT_EQ(written, kHeaderSize);
    EXPECT_EQ(big[kHeaderSize], std::byte{0x77});
}

}  // namespace
}  // namespace ntplite::proto
