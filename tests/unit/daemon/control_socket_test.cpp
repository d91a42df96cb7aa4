// The control socket (requests and JSON replies, over a real Unix socket) and the mode 6 allow
// list of ControlUdp.
#include "daemon/control/control_socket.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "daemon/control/control_udp.hpp"
#include "daemon/policy/monitor/control_json.hpp"
#include "tests/unit/tools/monitor_fixture.hpp"

namespace ntplite::daemon {
namespace {

TEST(ControlSocket, HandlesSnapshotResyncAndUnknown) {
    asio::io_context io;
    int resyncs = 0;
    ControlSocket s(
        io, [] { return testing::fixture_snapshot(); },
        [&]() -> std::expected<std::size_t, std::string> {
            ++resyncs;
            return 3;
        });
    auto snap = nlohmann::json::parse(s.handle("snapshot\n"));
    EXPECT_EQ(snap["schema"], "ntpd-lite.snapshot/1");
    EXPECT_EQ(snap["system"]["stratum"], 11);
    EXPECT_EQ(snap["system"]["system_peer"], 1);
    ASSERT_EQ(snap["sources"].size(), 3u);
    EXPECT_EQ(snap["sources"][2]["state"], "falseticker");
    EXPECT_EQ(snap["sources"][0]["requests_sent"], 42);
    auto r = nlohmann::json::parse(s.handle("resync\r\n"));
    EXPECT_EQ(r["ok"], true);
    EXPECT_EQ(r["sources"], 3);
    EXPECT_EQ(resyncs, 1);
    auto u = nlohmann::json::parse(s.handle("reboot\n"));
    EXPECT_EQ(u["ok"], false);
}

TEST(ControlSocket, ResyncRefusalCarriesTheReason) {
    asio::io_context io;
    ControlSocket s(
        io, [] { return testing::fixture_snapshot(); },
        []() -> std::expected<std::size_t, std::string> { return std::unexpected("no sources"); });
    auto r = nlohmann::json::parse(s.handle("resync"));
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(r["error"], "no sources");
}

TEST(ControlSocket, ServesOverUnixSocketWithConfiguredMode) {
    asio::io_context io;
    ControlSocket s(
        io, [] { return testing::fixture_snapshot(); },
        []() -> std::expected<std::size_t, std::string> { return 1; });
    const std::string path = "/tmp/ntplite-control-test-" + std::to_string(::getpid()) + ".sock";
    ASSERT_TRUE(s.open(path, 0600).has_value());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::string reply;
    std::thread client([&] {
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            (void)!::write(fd, "resync\n", 7);
            char buf[512];
            for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
                reply.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fd);
    });
    for (int i = 0; i < 200 && reply.empty(); ++i) io.run_for(std::chrono::milliseconds(10));
    client.join();
    EXPECT_EQ(nlohmann::json::parse(reply)["ok"], true) << reply;
    s.close();
    EXPECT_NE(::access(path.c_str(), F_OK), 0);  // removed
}

TEST(ControlUdp, AllowListDefaultsToLocalhostAndEmptyAllowsNobody) {
    asio::io_context io;
    std::vector<config::CidrPrefix> allow = {*config::parse_cidr("127.0.0.1"),
                                             *config::parse_cidr("::1")};
    ControlUdp c(io, allow, [] { return testing::fixture_snapshot(); });
    EXPECT_TRUE(c.allowed(*config::parse_ip("127.0.0.1")));
    EXPECT_TRUE(c.allowed(*config::parse_ip("::1")));
    EXPECT_FALSE(c.allowed(*config::parse_ip("127.0.0.22")));
    EXPECT_FALSE(c.allowed(*config::parse_ip("192.0.2.1")));
    ControlUdp none(io, {}, [] { return testing::fixture_snapshot(); });
    EXPECT_FALSE(none.allowed(*config::parse_ip("127.0.0.1")));
    // A denied request is counted and nothing is queued for the engine thread.
    sockaddr_storage from{};
    std::vector<std::byte> req(12);
    req[0] = std::byte{0x16};
    req[1] = std::byte{0x01};
    EXPECT_FALSE(c.offer(-1, req, *config::parse_ip("127.0.0.22"), from, sizeof(sockaddr_in),
                         sysutil::ReplySource{}));
    EXPECT_EQ(c.totals().denied, 1u);
    EXPECT_EQ(io.poll(), 0u);
    EXPECT_TRUE(ControlUdp::is_mode6(req));
    req[0] = std::byte{0x23};
    EXPECT_FALSE(ControlUdp::is_mode6(req));
}

}  // namespace
}  // namespace ntplite::daemon
