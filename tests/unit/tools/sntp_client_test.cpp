// SntpClient against an in-process fake server on loopback (ephemeral ports only).
#include "tools/ntpq/sntp_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "proto/refid.hpp"

namespace ntplite::tools {
namespace {

using namespace std::chrono_literals;
using Replies = std::vector<proto::Packet>;

int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * proto::kNsPerSecond + ts.tv_nsec;
}

// Answers each request with whatever `behave` returns (possibly nothing), from 127.0.0.1.
class FakeServer {
  public:
    explicit FakeServer(std::function<Replies(const proto::Packet&)> behave)
        : behave_(std::move(behave)) {
        fd_ = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        socklen_t len = sizeof a;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeServer() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }
    uint16_t port() const { return port_; }
    std::vector<uint16_t> client_ports;                  // source port of each request
    std::vector<proto::NtpTimestamp> request_transmits;  // transmit field of each request

  private:
    void run() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 20) <= 0) continue;
            std::array<std::byte, 1024> buf{};
            sockaddr_in from{};
            socklen_t len = sizeof from;
            ssize_t n =
                recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0) continue;
            auto req = proto::parse(std::span<const std::byte>(buf.data(), std::size_t(n)));
            if (!req) continue;
            client_ports.push_back(ntohs(from.sin_port));
            request_transmits.push_back(req->transmit);
            for (const auto& reply : behave_(*req)) {
                std::array<std::byte, proto::kHeaderSize> out{};
                proto::serialize(reply, out);
                sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
            }
        }
    }
    std::function<Replies(const proto::Packet&)> behave_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// An honest stratum 3 server whose clock is `ahead_ns` ahead of ours.
proto::Packet honest(const proto::Packet& req, int64_t ahead_ns = 0) {
    proto::Packet p;
    p.mode = proto::Mode::kServer;
    p.stratum = 3;
    p.precision_log2 = -20;
    p.refid = proto::refid_from_ipv4({192, 0, 2, 7});
    p.origin = req.transmit;
    p.receive = proto::NtpTimestamp::from_unix_ns(now_ns() + ahead_ns);
    p.transmit = proto::NtpTimestamp::from_unix_ns(now_ns() + ahead_ns);
    p.reference = p.receive;
    return p;
}

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
    EXPECT_NEAR(double(s->offset_ns), double(ahead_ns), 5e6);
    EXPECT_GE(s->delay_ns, 0);
    EXPECT_LT(s->delay_ns, 50'000'000);
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
    ASSERT_EQ(server.client_ports.size(), 4u);
    std::set<uint16_t> ports(server.client_ports.begin(), server.client_ports.end());
    EXPECT_GE(ports.size(), 3u);  // the kernel may reuse a freed port, but not every time
    std::set<uint64_t> cookies;
    for (auto t : server.request_transmits) {
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
    EXPECT_LT(std::llabs(s->offset_ns), 50'000'000);
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
