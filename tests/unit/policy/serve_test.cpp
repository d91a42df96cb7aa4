// serve_one(): each drop reason bumps its own counter; answers are well-formed and never longer
// than the request; local reference state.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "daemon/policy/server/serve.hpp"
#include "proto/packet.hpp"
#include "proto/refid.hpp"

namespace ntplite::daemon {
namespace {

using proto::NtpTimestamp;

config::IpAddress ip(const char* s) {
    return *config::parse_ip(s);
}

std::vector<std::byte> request(uint8_t version = 4, proto::Mode mode = proto::Mode::kClient,
                               uint64_t transmit = 0x1122334455667788u, std::size_t size = 48) {
    proto::Packet p;
    p.version = version;
    p.mode = mode;
    p.transmit = NtpTimestamp{transmit};
    std::vector<std::byte> out(size);
    proto::serialize(p, out);
    return out;
}

proto::SystemState synced() {
    proto::SystemState s;
    s.leap = proto::LeapIndicator::kNone;
    s.stratum = 2;
    s.refid = proto::refid_from_ascii("GPS");
    s.reference_time = NtpTimestamp{0xaaaa'0000'0000'0000u};
    return s;
}

struct Fixture : ::testing::Test {
    ServerCounters counters;
    ServeContext ctx{nullptr, nullptr, &counters};
    std::array<std::byte, 48> reply{};
    NtpTimestamp rx{0xe000'0000'8000'0000u};

    std::size_t serve(const std::vector<std::byte>& req, const char* client = "192.0.2.1",
                      proto::SystemState state = synced(), bool truncated = false) {
        return serve_one(req, truncated, ip(client), rx, 0, state, ctx, reply);
    }
    CounterTotals totals() {
        CounterTotals t;
        t.add(counters);
        return t;
    }
};

using Serve = Fixture;

TEST_F(Serve, AnswersAClientRequest) {
    auto req = request();
    ASSERT_EQ(serve(req), 48u);
    auto p = proto::parse(reply);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->mode, proto::Mode::kServer);
    EXPECT_EQ(p->version, 4);
    EXPECT_EQ(p->stratum, 2);
    EXPECT_EQ(p->origin.raw, 0x1122334455667788u);
    EXPECT_EQ(p->receive, rx);
    EXPECT_EQ(totals().answered, 1u);
    EXPECT_EQ(totals().received, 1u);
}

TEST_F(Serve, AnswersInTheRequestsVersion) {
    ASSERT_EQ(serve(request(3)), 48u);
    EXPECT_EQ(proto::parse(reply)->version, 3);
}

TEST_F(Serve, UnsynchronizedStateIsAnsweredAsSuch) {
    ASSERT_EQ(serve(request(), "192.0.2.1", proto::SystemState{}), 48u);
    auto p = proto::parse(reply);
    EXPECT_EQ(p->leap, proto::LeapIndicator::kUnsynchronized);
    EXPECT_EQ(p->stratum, 0);
}

TEST_F(Serve, MalformedIsDroppedAndCounted) {
    EXPECT_EQ(serve(request(4, proto::Mode::kClient, 1, 47)), 0u);  // too short
    EXPECT_EQ(serve(request(0)), 0u);                               // version 0
    EXPECT_EQ(serve(request(4, proto::Mode::kClient, 1, 51)), 0u);  // 3 stray bytes
    EXPECT_EQ(serve(request(), "192.0.2.1", synced(), true), 0u);   // truncated by the buffer
    EXPECT_EQ(serve(std::vector<std::byte>{}), 0u);
    EXPECT_EQ(totals().dropped_malformed, 5u);
    EXPECT_EQ(totals().answered, 0u);
}

TEST_F(Serve, ControlAndOtherModesAreDroppedAndCounted) {
    std::vector<std::byte> mode6(12);
    mode6[0] = std::byte{(2 << 3) | 6};  // ntpq READSTAT header
    mode6[1] = std::byte{1};
    EXPECT_EQ(serve(mode6), 0u);
    std::vector<std::byte> mode7(8);
    mode7[0] = std::byte{(2 << 3) | 7};
    EXPECT_EQ(serve(mode7), 0u);
    EXPECT_EQ(serve(request(4, proto::Mode::kServer)), 0u);
    EXPECT_EQ(serve(request(4, proto::Mode::kSymmetricActive)), 0u);
    EXPECT_EQ(serve(request(4, proto::Mode::kBroadcast)), 0u);
    EXPECT_EQ(totals().dropped_control, 2u);
    EXPECT_EQ(totals().dropped_not_client, 3u);
    EXPECT_EQ(totals().received, 5u);
}

TEST_F(Serve, DeniedAddressesGetNothing) {
    config::AccessConfig access;
    access.allow.push_back(*config::parse_cidr("127.0.0.1"));
    Acl acl{access};
    ctx.acl = &acl;
    EXPECT_EQ(serve(request(), "127.0.0.3"), 0u);
    EXPECT_EQ(serve(request(), "127.0.0.1"), 48u);
    EXPECT_EQ(serve(request(), "::ffff:127.0.0.1"), 48u);
    // Denied before anything else: even malformed packets count as denied.
    EXPECT_EQ(serve(request(0), "127.0.0.3"), 0u);
    EXPECT_EQ(totals().dropped_denied, 2u);
    EXPECT_EQ(totals().answered, 2u);
}

TEST_F(Serve, RateLimitedClientsGetKodOrNothingWhileOthersAreAnswered) {
    config::RateLimitConfig rc;
    rc.enabled = true;
    rc.interval_log2 = 4;
    rc.burst = 2;
    rc.leak = 0.25;
    rc.kod = true;
    RateLimiter rl{rc};
    ctx.limiter = &rl;
    for (int i = 0; i < 2; ++i) EXPECT_EQ(serve(request(), "192.0.2.1"), 48u);
    int kod = 0, normal = 0;
    for (int i = 0; i < 8; ++i) {
        if (serve(request(), "192.0.2.1") == 0) continue;
        auto p = proto::parse(reply);
        if (p->stratum == 0 && p->refid == proto::refid_from_ascii("RATE")) {
            ++kod;
        } else {
            ++normal;
        }
    }
    EXPECT_EQ(kod, 1);     // one KoD per interval, the other limited requests are dropped
    EXPECT_EQ(normal, 2);  // the leaked quarter
    EXPECT_EQ(serve(request(), "192.0.2.2"), 48u);
    EXPECT_EQ(proto::parse(reply)->stratum, 2);
    auto t = totals();
    EXPECT_EQ(t.rate_limited, 8u);
    EXPECT_EQ(t.kod_rate, 1u);
    EXPECT_EQ(t.leaked, 2u);
    EXPECT_EQ(t.dropped_rate, 5u);
    EXPECT_EQ(t.answered, 2u + 2u + 1u);

    rc.kod = false;
    rc.leak = 0;
    RateLimiter quiet{rc};
    ctx.limiter = &quiet;
    serve(request(), "192.0.2.9");
    serve(request(), "192.0.2.9");
    EXPECT_EQ(serve(request(), "192.0.2.9"), 0u);
    EXPECT_EQ(totals().dropped_rate, 6u);
}

TEST_F(Serve, MacOrExtensionsWithoutKeysAreDroppedNeverAnsweredPlain) {
    // Issue 15: a request carrying a MAC (key id 0 here, no keys configured) or extension
    // fields is never answered with an unauthenticated reply.
    auto mac = request(4, proto::Mode::kClient, 7, 48 + 24);
    EXPECT_EQ(serve(mac), 0u);
    auto ef = request(4, proto::Mode::kClient, 7, 48 + 28);
    ef[48 + 3] = std::byte{28};  // one 28-byte extension field (type 0)
    EXPECT_EQ(serve(ef), 0u);
    const CounterTotals t = totals();
    EXPECT_EQ(t.auth_unknown_key, 1u);
    EXPECT_EQ(t.auth_unsupported, 1u);
    EXPECT_EQ(t.answered, 0u);
}

TEST(Counters, SumAndFormat) {
    ServerCounters a, b;
    a.received.bump(3);
    a.answered.bump(2);
    b.received.bump();
    b.dropped_control.bump();
    b.dropped_malformed.bump(4);
    const ServerCounters* all[] = {&a, &b};
    CounterTotals t = sum(all);
    EXPECT_EQ(t.received, 4u);
    EXPECT_EQ(t.answered, 2u);
    EXPECT_EQ(
        t.to_string(),
        "received=4 answered=2 kod_rate=0 rate_limited=0 leaked=0 malformed=4 denied=0 "
        "control=1 not_client=0 rate_dropped=0 send_errors=0 rx_no_timestamp=0 auth_replies=0 "
        "auth_unknown_key=0 auth_bad_mac=0 auth_malformed=0 auth_unsupported=0 auth_nts_nak=0");
}

}  // namespace
}  // namespace ntplite::daemon
