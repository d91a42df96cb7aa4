// The sd_notify protocol spoken without libsystemd: $NOTIFY_SOCKET parsing (paths, abstract
// '@' names, what is refused), $WATCHDOG_USEC/$WATCHDOG_PID as sd_watchdog_enabled(3) reads
// them, and real datagrams received on an abstract-namespace socket (the path case is the
// system test test_service_notify.sh).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <string>

#include "daemon/common/systemd_notify.hpp"

namespace ntplite::daemon {
namespace {

TEST(SystemdNotify, ParsesPathsAndAbstractNames) {
    auto p = parse_notify_socket("/run/systemd/notify");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->addr.sun_family, AF_UNIX);
    EXPECT_STREQ(p->addr.sun_path, "/run/systemd/notify");
    EXPECT_EQ(p->length, offsetof(sockaddr_un, sun_path) + 20u);  // with the NUL

    auto a = parse_notify_socket("@sd-notify-x");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->addr.sun_path[0], '\0');
    EXPECT_EQ(std::string(a->addr.sun_path + 1, 11), "sd-notify-x");
    EXPECT_EQ(a->length, offsetof(sockaddr_un, sun_path) + 12u);  // no NUL at the end
}

TEST(SystemdNotify, RefusesWhatIsNotAnUnixSocketAddress) {
    EXPECT_FALSE(parse_notify_socket(""));
    EXPECT_FALSE(parse_notify_socket("/"));
    EXPECT_FALSE(parse_notify_socket("@"));
    EXPECT_FALSE(parse_notify_socket("relative/path"));
    EXPECT_FALSE(parse_notify_socket("vsock:2:1234"));
    const std::size_t room = sizeof(sockaddr_un{}.sun_path);
    EXPECT_TRUE(parse_notify_socket("/" + std::string(room - 2, 'a')));   // fits with its NUL
    EXPECT_FALSE(parse_notify_socket("/" + std::string(room - 1, 'a')));  // no room for NUL
    EXPECT_TRUE(parse_notify_socket("@" + std::string(room - 1, 'a')));   // abstract: no NUL
    EXPECT_FALSE(parse_notify_socket("@" + std::string(room, 'a')));
}

TEST(SystemdNotify, WatchdogAsSdWatchdogEnabled) {
    EXPECT_EQ(watchdog_usec_from(nullptr, nullptr, 42), 0u);
    EXPECT_EQ(watchdog_usec_from("400000", nullptr, 42), 400000u);
    EXPECT_EQ(watchdog_usec_from("400000", "42", 42), 400000u);
    EXPECT_EQ(watchdog_usec_from("400000", "43", 42), 0u);  // meant for another process
    EXPECT_EQ(watchdog_usec_from("400000", "x", 42), 0u);
    EXPECT_EQ(watchdog_usec_from("", nullptr, 42), 0u);
    EXPECT_EQ(watchdog_usec_from("12s", nullptr, 42), 0u);
    EXPECT_EQ(watchdog_usec_from("0", nullptr, 42), 0u);
}

std::string receive(int fd) {
    char buf[512];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<std::size_t>(n));
}

TEST(SystemdNotify, SendsOneDatagramPerMessageToAnAbstractSocket) {
    const std::string name = "ntplite-notify-test-" + std::to_string(::getpid());
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    auto addr = parse_notify_socket("@" + name);
    ASSERT_TRUE(addr);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr->addr), addr->length), 0);

    ::setenv("NOTIFY_SOCKET", ("@" + name).c_str(), 1);
    ::setenv("WATCHDOG_USEC", "400000", 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    {
        SystemdNotifier n;
        EXPECT_TRUE(n.active());
        EXPECT_EQ(n.watchdog_interval_us(), 200000u);
        n.ready("unsynchronized: starting");
        EXPECT_EQ(receive(fd), "READY=1\nSTATUS=unsynchronized: starting");
        n.status("unsynchronized: starting");  // unchanged: nothing sent
        n.status("synchronized to 127.0.0.1:123 (stratum 2)");
        EXPECT_EQ(receive(fd), "STATUS=synchronized to 127.0.0.1:123 (stratum 2)");
        n.watchdog();
        EXPECT_EQ(receive(fd), "WATCHDOG=1");
        n.reloading();
        EXPECT_TRUE(
            receive(fd).starts_with("RELOADING=1\nSTATUS=reloading configuration\n"
                                    "MONOTONIC_USEC="));
        n.stopping();
        EXPECT_EQ(receive(fd), "STOPPING=1\nSTATUS=shutting down");
        EXPECT_EQ(receive(fd), "<nothing>");
    }
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    SystemdNotifier off;  // no systemd: inactive, sends nothing
    EXPECT_FALSE(off.active());
    EXPECT_EQ(off.watchdog_interval_us(), 0u);
    off.ready("x");
    EXPECT_EQ(receive(fd), "<nothing>");
    ::close(fd);
}

}  // namespace
}  // namespace ntplite::daemon
