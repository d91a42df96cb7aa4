// Issue 14: the control socket's bounds. At most kMaxConnections sessions, each closed after
// kSessionDeadline; accept() failing with EMFILE pauses the acceptor instead of spinning; the
// metrics endpoint answers malformed requests with a 4xx and ignores query strings.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "daemon/control/control_socket.hpp"
#include "daemon/control/metrics_request.hpp"
#include "tests/unit/tools/monitor_fixture.hpp"

namespace ntplite::daemon {
namespace {

int connect_unix(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    return fd;
}

struct Fixture {
    asio::io_context io;
    ControlSocket s{io, [] { return testing::fixture_snapshot(); },
                    []() -> std::expected<std::size_t, std::string> { return 1; }};
    std::string path = "/tmp/ntplite-limits-" + std::to_string(::getpid()) + ".sock";
    Fixture() { EXPECT_TRUE(s.open(path, 0600).has_value()); }
};

TEST(ControlLimits, IdleClientsAreCappedAndTimedOut) {
    Fixture f;
    std::vector<int> idle;
    for (std::size_t i = 0; i < ControlSocket::kMaxConnections + 8; ++i)
        idle.push_back(connect_unix(f.path));
    f.io.run_for(std::chrono::milliseconds(300));
    EXPECT_EQ(f.s.active_sessions(), ControlSocket::kMaxConnections);  // was: unbounded
    // The deadline closes idle sessions; the waiting ones get their turn and time out too.
    f.io.run_for(ControlSocket::kSessionDeadline * 2 + std::chrono::milliseconds(500));
    EXPECT_EQ(f.s.active_sessions(), 0u);
    for (int fd : idle) ::close(fd);
}

TEST(ControlLimits, IdleClientsAtTheCapDoNotKeepARealClientOut) {
    Fixture f;
    std::vector<int> idle;
    for (std::size_t i = 0; i < ControlSocket::kMaxConnections * 3; ++i)
        idle.push_back(connect_unix(f.path));
    f.io.run_for(std::chrono::milliseconds(300));
    EXPECT_EQ(f.s.active_sessions(), ControlSocket::kMaxConnections);
    // A client with a request, behind a full cap of idle ones: the oldest idle session makes
    // room and the answer comes well before any deadline (was: after the 5 s deadlines of the
    // 32 idle sessions ahead of it, per round of the backlog).
    const int real = connect_unix(f.path);
    ASSERT_EQ(::write(real, "snapshot\n", 9), 9);
    f.io.run_for(std::chrono::milliseconds(300));
    char buf[64];
    EXPECT_GT(::read(real, buf, sizeof buf), 0);
    EXPECT_EQ(f.s.evicted_sessions(), 2 * ControlSocket::kMaxConnections + 1);
    EXPECT_LE(f.s.active_sessions(), ControlSocket::kMaxConnections);
    ::close(real);
    for (int fd : idle) ::close(fd);
}

TEST(ControlLimits, EmfilePausesTheAcceptorInsteadOfSpinning) {
    Fixture f;
    std::vector<int> clients;
    for (int i = 0; i < 4; ++i) clients.push_back(connect_unix(f.path));
    // Accept these first. Besides, this warms UBSan's type cache: its vptr check probes memory
    // through a pipe, which needs the very descriptors this test takes away (a false "invalid
    // vptr" otherwise, in the sanitizer build only).
    f.io.run_for(std::chrono::milliseconds(100));
    ASSERT_EQ(f.s.active_sessions(), clients.size());
    clients.push_back(connect_unix(f.path));  // this one meets EMFILE
    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
    // No descriptor left for accept(): find the lowest free one and cap the limit there.
    const int probe = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(probe, 0);
    ::close(probe);
    rlimit tight = old;
    tight.rlim_cur = static_cast<rlim_t>(probe);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
    f.io.run_for(std::chrono::milliseconds(1200));
    const uint64_t errors = f.s.accept_resource_errors();
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
    // 500 ms pauses: a handful of attempts in 1.2 s (was: tens of thousands, busy loop).
    EXPECT_GE(errors, 1u);
    EXPECT_LE(errors, 4u);
    f.io.run_for(std::chrono::milliseconds(800));  // resumes once descriptors are back
    EXPECT_EQ(f.s.active_sessions(), clients.size());
    for (int fd : clients) ::close(fd);
}

TEST(MetricsRequest, RoutesQueriesAndRejectsGarbageWith4xx) {
    auto text = [] { return std::string("ntp 1\n"); };
    auto a = answer_raw_request("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", text);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);  // was: 404
    EXPECT_EQ(a->body, "ntp 1\n");
    auto g = answer_raw_request("GARBAGE\r\n\r\n", text);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->status, 400u);  // was: connection reset
    auto big = answer_raw_request(
        "GET / HTTP/1.1\r\nX: " + std::string(kMetricsHeaderLimit, 'a') + "\r\n\r\n", text);
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 431u);
    auto post = answer_raw_request("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", text);
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 405u);
    EXPECT_EQ(post->allow, "GET, HEAD");
    auto missing = answer_raw_request("GET /other HTTP/1.1\r\n\r\n", text);
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404u);
    EXPECT_FALSE(answer_raw_request("GET /metrics HTTP/1.1\r\n", text));  // incomplete
}

}  // namespace
}  // namespace ntplite::daemon
