// systemd's notification protocol (sd_notify(3)): READY, STATUS, RELOADING, STOPPING and the
// watchdog, spoken directly: one AF_UNIX datagram per message to $NOTIFY_SOCKET (a path, or a
// Linux abstract name written with a leading '@'). Without $NOTIFY_SOCKET every call does
// nothing, so the daemon runs the same without systemd.
//
// Why not libsystemd (the project prefers a well-kept Debian library over hand-written code):
// sd_notify and sd_watchdog_enabled were the only functions used, and linking libsystemd maps
// it plus libgcrypt, libgpg-error, liblz4, liblzma, libzstd and libcap into the daemon: idle RSS
// 5.1 -> 4.1 MiB without it (bench/idle_rss.sh, medians of 5 runs, see bench/RESULTS.md). The
// protocol, not libsystemd's C wrapper, is the stable interface: systemd lists it among its
// stable interfaces (systemd.io/PORTABILITY_AND_STABILITY), and since 2024 sd_notify(3) carries
// a standalone reimplementation in its "Notes" for programs that want nothing else from
// libsystemd. Implemented here is the subset Debian 12's systemd 252 speaks: AF_UNIX paths and
// abstract names (no vsock), no file-descriptor passing, no credentials (pid 0 = this process).
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ntplite::daemon {

/// The socket address named by a $NOTIFY_SOCKET value.
struct NotifyAddress {
    sockaddr_un addr{};
    socklen_t length = 0;  ///< bytes of `addr` to pass to sendto (abstract names are not NUL-ended)
};

/// Parses $NOTIFY_SOCKET: "/path" (a socket file) or "@name" (abstract namespace). nullopt for
/// anything else (empty, relative, vsock:..., longer than sun_path).
std::optional<NotifyAddress> parse_notify_socket(std::string_view value);

/// The watchdog interval systemd asks for, in microseconds, from $WATCHDOG_USEC and
/// $WATCHDOG_PID (as sd_watchdog_enabled(3)): 0 when unset, malformed, zero, or meant for
/// another process (`pid` is this process's id).
uint64_t watchdog_usec_from(const char* watchdog_usec, const char* watchdog_pid, long pid);

class SystemdNotifier {
  public:
    /// Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID; opens the datagram socket.
    SystemdNotifier();
    ~SystemdNotifier();
    SystemdNotifier(const SystemdNotifier&) = delete;
    SystemdNotifier& operator=(const SystemdNotifier&) = delete;

    /// True when a usable notification socket is set (running under systemd Type=notify).
    bool active() const { return fd_ >= 0; }
    /// Interval at which to send WATCHDOG=1 (half of WatchdogSec), microseconds; 0 = none.
    uint64_t watchdog_interval_us() const { return watchdog_interval_us_; }

    /// READY=1 with a STATUS= line: sockets and the clock are set up.
    void ready(const std::string& status);
    /// STATUS=<text> (shown by systemctl status), sent only when it changed.
    void status(const std::string& text);
    /// RELOADING=1 (SIGHUP received); ready() ends the reload.
    void reloading();
    /// STOPPING=1.
    void stopping();
    /// WATCHDOG=1: the engine thread is alive.
    void watchdog();

  private:
    void send(const std::string& state);
    int fd_ = -1;
    NotifyAddress address_;
    uint64_t watchdog_interval_us_ = 0;
    std::string last_status_;
};

}  // namespace ntplite::daemon
