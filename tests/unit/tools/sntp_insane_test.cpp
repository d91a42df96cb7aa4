// ntpq-lite query: a reply that echoes our cookie but carries absurd timestamps is rejected
// (issue 14; found by tests/fuzz/fuzz_sntp_reply.cpp: it was accepted with a delay of -68 years).
#include <gtest/gtest.h>

#include <array>

#include "proto/packet.hpp"
#include "tools/ntpq/sntp_reply.hpp"

namespace ntplite::tools {
namespace {

TEST(SntpInsane, AbsurdDelayIsInvalid) {
    constexpr int64_t kT1 = 1'700'000'000'000'000'000;
    RequestContext ctx;
    ctx.transmit_cookie = proto::NtpTimestamp{0x0123456789abcdefull};
    ctx.t1_unix_ns = kT1;
    ctx.t4_unix_ns = kT1 + 1'000'000;
    proto::Packet p;
    p.mode = proto::Mode::kServer;
    p.stratum = 2;
    p.origin = ctx.transmit_cookie;
    p.receive = proto::NtpTimestamp::from_unix_ns(kT1);
    p.transmit = proto::NtpTimestamp::from_unix_ns(kT1 + 3600'000'000'000);  // "held" 1 h
    std::array<std::byte, proto::kHeaderSize> bytes{};
    proto::serialize(p, bytes);
    auto v = evaluate_reply(bytes, ctx);
    EXPECT_EQ(v.kind, ReplyVerdict::Kind::kRejected);
    EXPECT_EQ(v.failure.error, SntpError::kInvalidResponse);
    EXPECT_NE(v.failure.message.find("insane-exchange"), std::string::npos) << v.failure.message;
    // The same reply with a normal hold time is accepted.
    p.transmit = proto::NtpTimestamp::from_unix_ns(kT1 + 100'000);
    proto::serialize(p, bytes);
    EXPECT_EQ(evaluate_reply(bytes, ctx).kind, ReplyVerdict::Kind::kAccepted);
}

}  // namespace
}  // namespace ntplite::tools
