// --check-config beyond syntax: does what the configuration names exist on this machine
// (interfaces, local addresses, directories, the [daemon] user)? Also the start-up warnings.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace ntplite::daemon {

/// One finding: an error makes --check-config fail (the daemon would not start), a warning
/// does not.
struct CheckFinding {
    bool error = false;
    std::string message;  ///< "file:line:col: ..." when the position is known
};

/// Findings for `cfg` on this machine, in config order. Reads the system (getifaddrs, stat,
/// getpwnam, a test bind to port 0); binds no configured port.
std::vector<CheckFinding> check_environment(const config::Config& cfg);

/// Warnings about a configuration that starts but does nothing useful (no source and no
/// [local]: never synchronized), also logged at start-up.
std::vector<std::string> config_warnings(const config::Config& cfg);

/// Files a reload re-reads as [daemon] user ([auth] keyfile, [nts] certificate and
/// private_key) that this user (its uid or primary group; supplementary groups are dropped)
/// cannot read: a reload after they change would be refused. One warning each; none without
/// [daemon] user or for root. Reads the system (getpwnam, stat).
std::vector<std::string> reload_read_warnings(const config::Config& cfg);

/// The pid file to use: [daemon] pidfile, else $RUNTIME_DIRECTORY/ntpd-lite.pid, else "".
std::string effective_pidfile(const config::Config& cfg);

}  // namespace ntplite::daemon
