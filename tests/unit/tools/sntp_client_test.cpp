// SntpClient against an in-process fake server on loopback (ephemeral ports only).
#include "tools/ntpq/sntp_client.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "proto/refid.hpp"
#include "tests/unit/tools/fake_server.hpp"

namespace ntplite::tools {
namespace {

using namespace std::chrono_literals;
using namespace ntplite::tools::testing;

std::vector<UdpEndpoint> loopback(uint16_t port) {
    return {UdpEndpoint(boost::asio::ip::make_address("127.0.0.1"), port)};
}

TEST(SntpClient, MeasuresOffsetOfHonestServer) {
    const int64_t ahead_ns = 250'000'000;
    FakeServer server([&](const proto::Packet& r) { return Replies{honest(r, ahead_ns)}; });
    boost::asio::io_context io;
    SntpClient client(io, loopback(server.port()));
    auto s = client.query(2s);
    ASSERT_TRUE(s) << s.error().message;
    // Both server timestamps fall between our T1 and T4, so the error is at most delay / 2
    // (plus rounding), however loaded the machine is.
    EXPECT_GE(s->delay_ns, 0);
    EXPECT_LT(s->delay_ns, 1'000'000'000);
    EXPECT_LE(std::llabs(s->offset_ns - ahead_ns), s->delay_ns / 2 + 1'000);
    EXPECT_EQ(s->reply.stratum, 3);
    EXPECT_EQ(s->server_address, "127.0.0.1");
    EXPECT_EQ(s->server_port, server.port());
    EXPECT_TRUE(s->kernel_rx_timestamp);
    EXPECT_LE(s->t1_unix_ns, s->t4_unix_ns);
}

TEST(SntpClient, EachRequestHasFreshPortAndRandomCookie) {
    FakeServer server([](const proto::Packet& r) { return Replies{honest(r)}; });
    boost::asio::io_context io;
    SntpClient client(io, loopback(server.port()));
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(client.query(2s));
    const auto client_ports = server.client_ports();
    ASSERT_EQ(client_ports.size(), 4u);
    std::set<uint16_t> ports(client_ports.begin(), client_ports.end());
    EXPECT_GE(ports.size(), 3u);  // the kernel may reuse a freed port, but not every time
    std::set<uint64_t> cookies;
    for (auto t : server.request_transmits()) {
        cookies.insert(t.raw);
        // A cookie is not our clock: it would be within seconds of now if it were.
        int64_t as_time = t.to_unix_ns(now_ns());
        EXPECT_GT(std::llabs(as_time - now_ns()), 1'000'000'000LL) << std::hex << t.raw;
    }
    EXPECT_EQ(cookies.size(), 4u);
}

TEST(SntpClient, IgnoresSpoofedReplyAndTakesTheRealOne) {
    FakeServer server([](const proto::Packet& r) {
        proto::Packet forged = honest(r, 3'600'000'000'000);
        forged.origin = proto::NtpTimestamp{r.transmit.raw ^ 1};
        return Replies{forged, honest(r)};
    });
    boost::asio::io_context io;
    SntpClient client(io, loopback(server.port()));
    auto s = client.query(2s);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_LT(std::llabs(s->offset_ns), 1'000'000'000);
}

TEST(SntpClient, OnlyInvalidRepliesGiveInvalidAfterTimeout) {
    FakeServer server([](const proto::Packet& r) {
        proto::Packet forged = honest(r);
        forged.origin = proto::NtpTimestamp{r.transmit.raw + 1};
        return Replies{forged};
    });
    boost::asio::io_context io;
    SntpClient client(io, loopback(server.port()));
    auto start = std::chrono::steady_clock::now();
    auto s = client.query(300ms);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().error, SntpError::kInvalidResponse);
    EXPECT_GE(took, 290ms);
    EXPECT_LT(took, 2s);
}

TEST(SntpClient, KissOfDeath) {
    FakeServer server([](const proto::Packet& r) {
        proto::Packet kod = honest(r);
        kod.stratum = 0;
        kod.refid = proto::refid_from_ascii("DENY");
        return Replies{kod};
    });
    boost::asio::io_context io;
    SntpClient client(io, loopback(server.port()));
    auto s = client.query(2s);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().error, SntpError::kKissOfDeath);
    EXPECT_EQ(s.error().kiss_refid, proto::refid_from_ascii("DENY"));
}

TEST(SntpClient, SilentServerTimesOut) {
    FakeServer server([](const proto::Packet&) { return Replies{}; });
    boost::asio::io_context io;
    SntpClient client(io, loopback(server.port()));
    auto start = std::chrono::steady_clock::now();
    auto s = client.query(200ms);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().error, SntpError::kNoAnswer);
    EXPECT_GE(took, 190ms);
    EXPECT_LT(took, 2s);
}

TEST(SntpClient, ClosedPortFailsFastAndFallsThroughToNextAddress) {
    FakeServer server([](const proto::Packet& r) { return Replies{honest(r)}; });
    uint16_t closed = 0;
    {
        FakeServer gone([](const proto::Packet&) { return Replies{}; });
        closed = gone.port();
    }
    auto addrs = loopback(closed);
    addrs.push_back(loopback(server.port())[0]);
    boost::asio::io_context io;
    SntpClient client(io, addrs);
    auto start = std::chrono::steady_clock::now();
    auto s = client.query(4s);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->server_port, server.port());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);  // refused, not timed out
}

TEST(Resolve, LiteralsNeedNoResolver) {
    auto r = resolve_server(HostPort{"::1", 5, true}, 100ms);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_TRUE(r->front().address().is_v6());
    EXPECT_EQ(r->front().port(), 5);
    EXPECT_EQ(to_string(r->front()), "[::1]:5");
}

TEST(Resolve, LocalhostResolves) {
    auto r = resolve_server(HostPort{"localhost", 7, false}, 5s);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->empty());
    for (const auto& e : *r) {
        EXPECT_TRUE(e.address().is_loopback());
        EXPECT_EQ(e.port(), 7);
    }
}

TEST(RandomCookie, NonZeroAndVaries) {
    std::set<uint64_t> seen;
    for (int i = 0; i < 64; ++i) {
        auto c = random_transmit_cookie();
        EXPECT_NE(c.raw, 0u);
        seen.insert(c.raw);
    }
    EXPECT_EQ(seen.size(), 64u);
}

}  // namespace
}  // namespace ntplite::tools
