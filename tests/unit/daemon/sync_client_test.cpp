// The client half's edge on real loopback sockets, in-process: a scripted fake NTP server on
// 127.0.0.1 answers (or answers from the wrong port), and SyncClient, in observe mode, must use a
// fresh source port per request, ignore replies that do not come from the server's address and
// port, and publish stratum + 1 / refid once it has synchronized.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "config/config.hpp"
#include "daemon/server/server_worker.hpp"
#include "daemon/sync/sync_client.hpp"
#include "proto/packet.hpp"
#include "proto/refid.hpp"

namespace ntplite::daemon {
namespace {

using asio::ip::udp;

/// Answers every client request with a stratum-2 reply carrying this machine's clock.
class FakeServer {
  public:
    explicit FakeServer(asio::io_context& io, bool reply_from_other_port = false,
                        asio::ip::address where = asio::ip::address_v4::loopback())
        : socket_(io, udp::endpoint(where, 0)),
          other_(io, udp::endpoint(where, 0)),
          wrong_port_(reply_from_other_port) {
        receive();
    }
    uint16_t port() const { return socket_.local_endpoint().port(); }
    std::vector<uint16_t> client_ports;  ///< source port of every request, in order

  private:
    void receive() {
        socket_.async_receive_from(
            asio::buffer(buf_), sender_,
            [this](const boost::system::error_code& ec, std::size_t n) {
                if (ec) return;
                int64_t rx = realtime_ns();
                auto req = proto::parse(std::span<const std::byte>(buf_.data(), n));
                if (req && req->mode == proto::Mode::kClient) {
                    client_ports.push_back(sender_.port());
                    proto::Packet r;
                    r.mode = proto::Mode::kServer;
                    r.stratum = 2;
                    r.precision_log2 = -20;
                    r.refid = 0x0A000001;  // 10.0.0.1: not one of ours
                    r.root_delay = proto::NtpShort::from_ns(1'000'000);
                    r.root_dispersion = proto::NtpShort::from_ns(1'000'000);
                    r.reference = proto::NtpTimestamp::from_unix_ns(rx - 1'000'000'000);
                    r.origin = req->transmit;
                    r.receive = proto::NtpTimestamp::from_unix_ns(rx);
                    r.transmit = proto::NtpTimestamp::from_unix_ns(realtime_ns());
                    std::array<std::byte, proto::kHeaderSize> out{};
                    proto::serialize(r, out);
                    boost::system::error_code sec;
                    (wrong_port_ ? other_ : socket_).send_to(asio::buffer(out), sender_, 0, sec);
                }
                receive();
            });
    }
    udp::socket socket_;
    udp::socket other_;
    bool wrong_port_;
    udp::endpoint sender_;
    std::array<std::byte, 512> buf_{};
};

config::Config observe_config(uint16_t port, const std::string& host = "127.0.0.1") {
    std::string text = "[clock]\nmode = \"observe\"\n\n[[source]]\naddress = \"" + host + ":" +
                       std::to_string(port) + "\"\niburst = true\nminpoll = 0\nmaxpoll = 1\n";
    auto cfg = config::parse_config(text, "test.toml");
    EXPECT_TRUE(cfg);
    return std::move(*cfg);
}

TEST(SyncClient, SynchronizesPublishesAndUsesAFreshPortPerRequest) {
    asio::io_context io;
    FakeServer server(io);
    config::Config cfg = observe_config(server.port());
    std::vector<proto::SystemState> published;
    SyncClient client(
        io, cfg, [&](const proto::SystemState& s) { published.push_back(s); }, -20);
    client.start();
    // iburst at minpoll 0: requests 1 s apart; the 4th sample fills the filter enough.
    io.run_for(std::chrono::milliseconds(3800));

    ASSERT_GE(server.client_ports.size(), 2u);
    std::set<uint16_t> distinct(server.client_ports.begin(), server.client_ports.end());
    EXPECT_EQ(distinct.size(), server.client_ports.size()) << "a source port was reused";

    EXPECT_EQ(client.status().state, clock::SyncState::kSynchronized);
    ASSERT_FALSE(published.empty());
    EXPECT_EQ(published.front().stratum, 16) << "unsynchronized until the core says otherwise";
    EXPECT_EQ(published.back().stratum, 3);
    EXPECT_EQ(published.back().refid, 0x7F000001u);  // the server's address
    EXPECT_EQ(published.back().leap, proto::LeapIndicator::kNone);
    EXPECT_GE(published.back().root_delay.to_ns(), 1'000'000);

    SyncSnapshot snap = client.snapshot();
    EXPECT_EQ(snap.status.state, clock::SyncState::kSynchronized);
    EXPECT_FALSE(snap.clock_adjusts);  // observe mode
    ASSERT_EQ(snap.sources.size(), 1u);
    EXPECT_EQ(snap.sources[0].name, "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(snap.sources[0].state, clock::SourceState::kSelected);
    EXPECT_EQ(snap.sources[0].stratum, 2);
    EXPECT_LT(std::abs(snap.sources[0].offset_ns), 5'000'000);  // same clock, loopback
    client.stop();
}

TEST(SyncClient, IgnoresRepliesFromAnotherPort) {
    asio::io_context io;
    FakeServer server(io, /*reply_from_other_port=*/true);
    config::Config cfg = observe_config(server.port());
    int synced_published = 0;
    SyncClient client(
        io, cfg, [&](const proto::SystemState& s) { synced_published += s.stratum < 16; }, -20);
    client.start();
    io.run_for(std::chrono::milliseconds(2500));

    ASSERT_GE(server.client_ports.size(), 2u);                            // it was asked...
    EXPECT_EQ(client.status().state, clock::SyncState::kUnsynchronized);  // ...no reply arrived
    EXPECT_EQ(client.status().reason, clock::UnsyncReason::kStarting);
    EXPECT_EQ(synced_published, 0);
    SyncSnapshot snap = client.snapshot();
    ASSERT_EQ(snap.sources.size(), 1u);
    EXPECT_EQ(snap.sources[0].reach, 0);
    EXPECT_EQ(snap.sources[0].state, clock::SourceState::kNoSample);
    client.stop();
}

TEST(SyncClient, Ipv6ServerGetsTheHashedRefid) {
    asio::io_context io;
    FakeServer server(io, false, asio::ip::address_v6::loopback());
    config::Config cfg = observe_config(server.port(), "[::1]");
    std::optional<proto::SystemState> last;
    SyncClient client(
        io, cfg, [&](const proto::SystemState& s) { last = s; }, -20);
    client.start();
    io.run_for(std::chrono::milliseconds(3800));  // iburst: 4 requests 1 s apart

    ASSERT_FALSE(server.client_ports.empty());
    ASSERT_EQ(client.status().state, clock::SyncState::kSynchronized);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->stratum, 3);
    EXPECT_EQ(last->refid, proto::refid_from_ipv6(asio::ip::address_v6::loopback().to_bytes()));
    SyncSnapshot snap = client.snapshot();
    ASSERT_EQ(snap.sources.size(), 1u);
    EXPECT_EQ(snap.sources[0].name, "[::1]:" + std::to_string(server.port()));
    client.stop();
}

}  // namespace
}  // namespace ntplite::daemon
