// Dropping root after start-up: switch to [daemon] user keeping only CAP_SYS_TIME (and
// CAP_NET_BIND_SERVICE when a reload may bind a port below 1024), with libcap-ng. Capabilities are
// per thread, so this must run before any thread starts.
#pragma once

#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

namespace ntplite::daemon {

/// Who to become.
struct RunAs {
    std::string user;
    uid_t uid = 0;
    gid_t gid = 0;
};

/// Looks the user up (getpwnam); error says what to do when it does not exist.
std::expected<RunAs, std::string> lookup_user(const std::string& name);

/// True when this process may change its user (effective uid 0 or CAP_SETUID).
bool can_switch_user();

/// Gives the files and directories the daemon still writes after the switch (pid file and its
/// directory, the control socket, the drift file's directory) to the user. Paths that do not
/// exist are skipped.
std::expected<void, std::string> hand_over(const RunAs& who, const std::vector<std::string>& paths);

/// What drop_privileges() did, for the log.
struct DropResult {
    bool kept_sys_time = false;  ///< CAP_SYS_TIME is in the new effective set
    bool kept_net_bind = false;  ///< CAP_NET_BIND_SERVICE is in the new effective set
    std::string summary;         ///< "running as ntpd-lite (uid 101), capabilities: cap_sys_time"
};

/// Switches uid/gid (supplementary groups dropped) and keeps CAP_SYS_TIME only if `want_sys_time`
/// and it is in the permitted set now (a bounding set without it means observe only, which is
/// not an error); likewise CAP_NET_BIND_SERVICE if `want_net_bind` (its absence is logged by the
/// caller's summary: a reload's low port would then fail with EACCES). Clears the bounding set to
/// what is kept when CAP_SETPCAP allows it.
/// Error if other threads exist (they would keep root's capabilities) or a step fails.
std::expected<DropResult, std::string> drop_privileges(const RunAs& who, bool want_sys_time,
                                                       bool want_net_bind = false);

/// Effective capabilities of this thread as text ("cap_sys_time", "none", "full").
std::string effective_capabilities_text();

}  // namespace ntplite::daemon
