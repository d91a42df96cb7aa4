#include "tools/ntpq/sntp_reply.hpp"

#include <gtest/gtest.h>

#include <array>

#include "proto/refid.hpp"

namespace ntplite::tools {
namespace {

using proto::NtpTimestamp;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT1 = 1'795'345'323'000'000'000;  // our real send time
const NtpTimestamp kCookie{0x1234'5678'9abc'def0};

// A server 5 ms ahead, 1 ms each way, 0.1 ms processing: offset +5 ms, delay 2 ms.
proto::Packet good_reply() {
    proto::Packet p;
    p.leap = proto::LeapIndicator::kNone;
    p.version = 4;
    p.mode = proto::Mode::kServer;
    p.stratum = 2;
    p.precision_log2 = -20;
    p.refid = proto::refid_from_ipv4({192, 0, 2, 1});
    p.reference = NtpTimestamp::from_unix_ns(kT1 - 1000 * kMs);
    p.origin = kCookie;
    p.receive = NtpTimestamp::from_unix_ns(kT1 + 1 * kMs + 5 * kMs);
    p.transmit = NtpTimestamp::from_unix_ns(kT1 + 1 * kMs + 5 * kMs + kMs / 10);
    return p;
}

RequestContext context() {
    RequestContext c;
    c.transmit_cookie = kCookie;
    c.t1_unix_ns = kT1;
    c.t4_unix_ns = kT1 + 2 * kMs + kMs / 10;
    return c;
}

ReplyVerdict judge(const proto::Packet& p, const RequestContext& c = context()) {
    std::array<std::byte, proto::kHeaderSize> buf{};
    EXPECT_EQ(proto::serialize(p, buf), proto::kHeaderSize);
    return evaluate_reply(buf, c);
}

TEST(BuildRequest, ClientModeCarriesCookieOnly) {
    std::array<std::byte, 64> buf{};
    ASSERT_EQ(build_request(kCookie, buf), 48u);
    auto p = proto::parse(std::span<const std::byte>(buf.data(), 48));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->mode, proto::Mode::kClient);
    EXPECT_EQ(p->version, 4);
    EXPECT_EQ(p->transmit, kCookie);
    EXPECT_TRUE(p->origin.is_zero());
    EXPECT_TRUE(p->receive.is_zero());
    EXPECT_EQ(p->stratum, 0);
}

TEST(BuildRequest, TooSmallBuffer) {
    std::array<std::byte, 47> buf{};
    EXPECT_EQ(build_request(kCookie, buf), 0u);
}

TEST(EvaluateReply, ValidReplyUsesRealT1) {
    auto v = judge(good_reply());
    ASSERT_EQ(v.kind, ReplyVerdict::Kind::kAccepted) << v.failure.message;
    EXPECT_EQ(v.sample.offset_ns, 5 * kMs);
    EXPECT_EQ(v.sample.delay_ns, 2 * kMs);
    EXPECT_EQ(v.sample.t1_unix_ns, kT1);
    EXPECT_EQ(v.sample.reply.stratum, 2);
}

TEST(EvaluateReply, ForeignOriginIsIgnoredNotFatal) {
    auto p = good_reply();
    p.origin = NtpTimestamp::from_unix_ns(kT1);  // what a guesser of our clock would send
    auto v = judge(p);
    EXPECT_EQ(v.kind, ReplyVerdict::Kind::kIgnored);
    EXPECT_EQ(v.failure.error, SntpError::kInvalidResponse);
    EXPECT_FALSE(v.failure.message.empty());
}

TEST(EvaluateReply, WrongModeIgnored) {
    auto p = good_reply();
    p.mode = proto::Mode::kClient;
    EXPECT_EQ(judge(p).kind, ReplyVerdict::Kind::kIgnored);
}

TEST(EvaluateReply, MalformedIgnored) {
    std::array<std::byte, 20> junk{};
    auto v = evaluate_reply(junk, context());
    EXPECT_EQ(v.kind, ReplyVerdict::Kind::kIgnored);
    EXPECT_NE(v.failure.message.find("malformed"), std::string::npos);
}

TEST(EvaluateReply, KissOfDeathRejectedWithCode) {
    auto p = good_reply();
    p.stratum = 0;
    p.refid = proto::refid_from_ascii("RATE");
    p.receive = {};
    p.transmit = {};
    auto v = judge(p);
    ASSERT_EQ(v.kind, ReplyVerdict::Kind::kRejected);
    EXPECT_EQ(v.failure.error, SntpError::kKissOfDeath);
    EXPECT_EQ(v.failure.kiss_refid, proto::refid_from_ascii("RATE"));
    EXPECT_NE(v.failure.message.find("RATE"), std::string::npos) << v.failure.message;
}

TEST(EvaluateReply, UnsynchronizedServerStratumZeroIsNotAKiss) {
    // What chronyd/ntpd/ntpd-lite send while unsynchronized: LI=3, stratum 0, refid 0 or INIT.
    for (uint32_t refid : {uint32_t{0}, proto::refid_from_ascii("INIT")}) {
        auto p = good_reply();
        p.leap = proto::LeapIndicator::kUnsynchronized;
        p.stratum = 0;
        p.refid = refid;
        auto v = judge(p);
        ASSERT_EQ(v.kind, ReplyVerdict::Kind::kRejected);
        EXPECT_EQ(v.failure.error, SntpError::kUnsynchronized) << v.failure.message;
    }
}

TEST(EvaluateReply, KissOfDeathWithForeignOriginIgnored) {
    // An off-path attacker must not be able to silence us with a forged KoD.
    auto p = good_reply();
    p.stratum = 0;
    p.refid = proto::refid_from_ascii("DENY");
    p.origin = NtpTimestamp{1};
    EXPECT_EQ(judge(p).kind, ReplyVerdict::Kind::kIgnored);
}

TEST(EvaluateReply, UnsynchronizedRejected) {
    auto p = good_reply();
    p.leap = proto::LeapIndicator::kUnsynchronized;
    auto v = judge(p);
    ASSERT_EQ(v.kind, ReplyVerdict::Kind::kRejected);
    EXPECT_EQ(v.failure.error, SntpError::kUnsynchronized);
    p = good_reply();
    p.stratum = 16;
    EXPECT_EQ(judge(p).failure.error, SntpError::kUnsynchronized);
}

TEST(EvaluateReply, ZeroTransmitRejectedAsInvalid) {
    auto p = good_reply();
    p.transmit = {};
    auto v = judge(p);
    EXPECT_EQ(v.kind, ReplyVerdict::Kind::kRejected);
    EXPECT_EQ(v.failure.error, SntpError::kInvalidResponse);
}

TEST(EvaluateReply, DuplicateOfLastAcceptedRejected) {
    auto p = good_reply();
    auto c = context();
    c.last_accepted_transmit = p.transmit;
    auto v = judge(p, c);
    EXPECT_EQ(v.kind, ReplyVerdict::Kind::kRejected);
    EXPECT_EQ(v.failure.error, SntpError::kInvalidResponse);
}

TEST(EvaluateReply, ExcessiveRootDistanceRejected) {
    auto p = good_reply();
    p.root_dispersion = proto::NtpShort::from_ns(2'000'000'000);
    auto v = judge(p);
    EXPECT_EQ(v.kind, ReplyVerdict::Kind::kRejected);
    EXPECT_EQ(v.failure.error, SntpError::kInvalidResponse);
}

}  // namespace
}  // namespace ntplite::tools
