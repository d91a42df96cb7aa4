// systemd's notification protocol (sd_notify(3) of libsystemd): READY, STATUS, RELOADING,
// STOPPING and the watchdog. Without $NOTIFY_SOCKET every call does nothing, so the daemon
// runs the same without systemd.
#pragma once

#include <cstdint>
#include <string>

namespace ntplite::daemon {

class SystemdNotifier {
  public:
    /// Reads $NOTIFY_SOCKET and $WATCHDOG_USEC (via sd_watchdog_enabled).
    SystemdNotifier();

    /// True when a notification socket is set (running under systemd Type=notify).
    bool active() const { return active_; }
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
    bool active_ = false;
    uint64_t watchdog_interval_us_ = 0;
    std::string last_status_;
};

}  // namespace ntplite::daemon
