#include "daemon/common/systemd_notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>

namespace ntplite::daemon {

SystemdNotifier::SystemdNotifier() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    active_ = socket != nullptr && socket[0] != '\0';
    uint64_t usec = 0;
    // unset_environment = 0: a reload reads nothing from it, but children would not inherit it
    // anyway (the daemon starts none).
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) watchdog_interval_us_ = usec / 2;
}

void SystemdNotifier::send(const std::string& state) {
    if (!active_) return;
    (void)sd_notify(0, state.c_str());
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
