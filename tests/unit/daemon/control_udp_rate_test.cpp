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

// 200 READSTAT requests from `client_text` (answers go to a loopback socket); returns how many
// were answered and the overload count.
std::pair<int, uint64_t> flood(const char* client_text) {
    asio::io_context io;
    ControlUdp c(io, {*config::parse_cidr(client_text)},
                 [] { return testing::fixture_snapshot(); });
    // The "server" socket the answers leave from, and the socket that receives them.
    const int server = ::socket(AF_INET, SOCK_DGRAM, 0);
    const int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    EXPECT_EQ(::getsockname(client, reinterpret_cast<sockaddr*>(&a), &len), 0);
    sockaddr_storage from{};
    std::memcpy(&from, &a, sizeof a);
    std::vector<std::byte> req(12);
    req[0] = std::byte{0x16};  // v2 mode 6
    req[1] = std::byte{0x01};  // READSTAT
    int offered = 0;
    for (int i = 0; i < 200; ++i) {
        req[3] = static_cast<std::byte>(i);  // sequence
        offered += c.offer(server, req, *config::parse_ip(client_text), from, sizeof a,
                           sysutil::ReplySource{});
        io.restart();  // poll() leaves the context stopped once it runs out of work
        io.poll();
    }
    EXPECT_EQ(offered, 200);
    int answers = 0;
    char buf[600];
    while (::recv(client, buf, sizeof buf, 0) > 0) ++answers;
    ::close(server);
    ::close(client);
    return {answers, c.totals().overloaded};
}

TEST(ControlUdpRate, FloodFromAnAllowedClientIsLimited) {
    const auto [answers, overloaded] = flood("192.0.2.7");  // an allow list widened to a LAN host
    EXPECT_GE(answers, 1);
    EXPECT_LE(answers, static_cast<int>(ControlUdp::kClientBurst) + 1);  // was: 200
    EXPECT_GE(overloaded, 200u - ControlUdp::kClientBurst - 1);
}

TEST(ControlUdpRate, LoopbackAdminIsBoundOnlyByTheGlobalBudget) {
    // ntpq -p asks once per source and waitsync polls: the local admin is not rate limited,
    // small answers all fit in the global byte budget.
    const auto [answers, overloaded] = flood("127.0.0.1");
    EXPECT_EQ(answers, 200);
    EXPECT_EQ(overloaded, 0u);
}

}  // namespace
}  // namespace ntplite::daemon
