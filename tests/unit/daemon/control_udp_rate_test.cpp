// Issue 14: mode 6 from an allowed address is rate limited per client (a READVAR flood was a
// 24.8x byte amplifier): 200 requests in a burst get at most kClientBurst (+1) answers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "daemon/control/control_udp.hpp"
#include "tests/unit/tools/monitor_fixture.hpp"

namespace ntplite::daemon {
namespace {

TEST(ControlUdpRate, FloodFromAnAllowedClientIsLimited) {
    asio::io_context io;
    ControlUdp c(io, {*config::parse_cidr("127.0.0.1")},
                 [] { return testing::fixture_snapshot(); });
    // The "server" socket the answers leave from, and the client that receives them.
    const int server = ::socket(AF_INET, SOCK_DGRAM, 0);
    const int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(client, reinterpret_cast<sockaddr*>(&a), &len), 0);
    sockaddr_storage from{};
    std::memcpy(&from, &a, sizeof a);
    std::vector<std::byte> req(12);
    req[0] = std::byte{0x16};  // v2 mode 6
    req[1] = std::byte{0x01};  // READSTAT
    int offered = 0;
    for (int i = 0; i < 200; ++i) {
        req[3] = static_cast<std::byte>(i);  // sequence
        offered += c.offer(server, req, *config::parse_ip("127.0.0.1"), from, sizeof a,
                           sysutil::ReplySource{});
        io.restart();  // poll() leaves the context stopped once it runs out of work
        io.poll();
    }
    EXPECT_EQ(offered, 200);
    int answers = 0;
    char buf[600];
    while (::recv(client, buf, sizeof buf, 0) > 0) ++answers;
    EXPECT_GE(answers, 1);
    EXPECT_LE(answers, static_cast<int>(ControlUdp::kClientBurst) + 1);  // was: 200
    EXPECT_GE(c.totals().overloaded, 200u - ControlUdp::kClientBurst - 1);
    ::close(server);
    ::close(client);
}

}  // namespace
}  // namespace ntplite::daemon
