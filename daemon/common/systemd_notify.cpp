#include "daemon/common/systemd_notify.hpp"

#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace ntplite::daemon {

std::optional<NotifyAddress> parse_notify_socket(std::string_view value) {
    if (value.size() < 2 || (value[0] != '/' && value[0] != '@')) return std::nullopt;
    NotifyAddress a;
    a.addr.sun_family = AF_UNIX;
    // A path needs its NUL inside sun_path; an abstract name is sun_path[0] = 0 then the name.
    const std::size_t room = sizeof(a.addr.sun_path) - (value[0] == '/' ? 1 : 0);
    if (value.size() > room) return std::nullopt;
    std::memcpy(a.addr.sun_path, value.data(), value.size());
    if (value[0] == '@') a.addr.sun_path[0] = '\0';
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size() +
                                      (value[0] == '/' ? 1 : 0));
    return a;
}

uint64_t watchdog_usec_from(const char* watchdog_usec, const char* watchdog_pid, long pid) {
    if (!watchdog_usec) return 0;
    const std::string_view u(watchdog_usec);
    uint64_t usec = 0;
    if (u.empty() ||
        std::from_chars(u.data(), u.data() + u.size(), usec).ptr != u.data() + u.size())
        return 0;
    if (watchdog_pid) {
        // systemd sets WATCHDOG_PID to the main process; a child that inherited the variables
        // must not feed the watchdog for it.
        const std::string_view p(watchdog_pid);
        long for_pid = 0;
        if (p.empty() ||
            std::from_chars(p.data(), p.data() + p.size(), for_pid).ptr != p.data() + p.size() ||
            for_pid != pid) {
            return 0;
        }
    }
    return usec;
}

SystemdNotifier::SystemdNotifier() {
    watchdog_interval_us_ =
        watchdog_usec_from(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"),
                           static_cast<long>(::getpid())) /
        2;
    const char* socket = std::getenv("NOTIFY_SOCKET");
    if (!socket || socket[0] == '\0') return;
    auto a = parse_notify_socket(socket);
    if (!a) {
        spdlog::warn(
            "systemd: NOTIFY_SOCKET=\"{}\" is not an AF_UNIX path or @abstract name; "
            "no notifications are sent",
            socket);
        return;
    }
    address_ = *a;
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) spdlog::warn("systemd: notification socket: {}", std::strerror(errno));
}

SystemdNotifier::~SystemdNotifier() {
    if (fd_ >= 0) ::close(fd_);
}

void SystemdNotifier::send(const std::string& state) {
    if (fd_ < 0) return;
    // One datagram per message, as sd_notify(3). Unconnected (sendto every time): systemd may
    // re-create its socket (daemon-reexec) and the next message must still reach it.
    ssize_t n;
    do {
        n = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&address_.addr), address_.length);
    } while (n < 0 && errno == EINTR);
    if (n < 0) spdlog::debug("systemd: notification not sent: {}", std::strerror(errno));
}

void SystemdNotifier::ready(const std::string& status) {
    last_status_ = status;
    send("READY=1\nSTATUS=" + status);
}

void SystemdNotifier::status(const std::string& text) {
    if (text == last_status_) return;
    last_status_ = text;
    send("STATUS=" + text);
}

void SystemdNotifier::reloading() {
    // MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match the reload to this message.
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const uint64_t usec =
        static_cast<uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
    send("RELOADING=1\nSTATUS=reloading configuration\nMONOTONIC_USEC=" + std::to_string(usec));
}

void SystemdNotifier::stopping() {
    send("STOPPING=1\nSTATUS=shutting down");
}

void SystemdNotifier::watchdog() {
    send("WATCHDOG=1");
}

}  // namespace ntplite::daemon
