// Exit statuses of ntpd-lite, documented in ntpd-lite(8) and --help. systemd's
// RestartPreventExitStatus= in ntpd-lite.service lists the ones a restart cannot fix.
#pragma once

#include <string_view>

namespace ntplite::daemon {

enum class ExitCode : int {
    kOk = 0,              ///< stopped by SIGTERM/SIGINT; --check-config/--version/--help succeeded
    kConfig = 1,          ///< the configuration is invalid (or --check-config found a problem)
    kUsage = 2,           ///< bad command line
    kStartup = 3,         ///< a socket, directory or the clock could not be set up (see the log)
    kAlreadyRunning = 4,  ///< another daemon holds the pid file, control socket or NTP port
    kPrivileges = 5,      ///< switching to [daemon] user or dropping capabilities failed
    kInternal = 70,       ///< unexpected internal error (EX_SOFTWARE)
};

/// The table printed in --help ("  0  ..." one line per status).
constexpr std::string_view kExitCodesHelp =
    "Exit status:\n"
    "  0   stopped by SIGTERM/SIGINT, or --check-config/--version succeeded\n"
    "  1   invalid configuration (--config or --check-config)\n"
    "  2   bad command line\n"
    "  3   start-up failed: a socket, directory or the clock could not be set up\n"
    "  4   another process holds the pid file, the control socket or an NTP port\n"
    "  5   switching to [daemon] user or dropping capabilities failed\n"
    "  70  internal error\n";

}  // namespace ntplite::daemon
