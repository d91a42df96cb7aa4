#include "daemon/common/privileges.hpp"

#include <cap-ng.h>
#include <dirent.h>
#include <linux/capability.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ntplite::daemon {
namespace {

/// Threads of this process (entries of /proc/self/task).
int thread_count() {
    DIR* d = ::opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n;
}

}  // namespace

std::expected<RunAs, std::string> lookup_user(const std::string& name) {
    errno = 0;
    const passwd* pw = ::getpwnam(name.c_str());
    if (!pw) {
        return std::unexpected(
            "[daemon] user \"" + name + "\" does not exist" +
            (errno != 0 ? std::string(" (") + std::strerror(errno) + ")" : std::string()) +
            "; create it (adduser --system --group " + name +
            ") or remove the key to keep running as the starting user");
    }
    return RunAs{name, pw->pw_uid, pw->pw_gid};
}

bool can_switch_user() {
    capng_get_caps_process();
    return ::geteuid() == 0 || capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID) != 0;
}

std::expected<void, std::string> hand_over(const RunAs& who,
                                           const std::vector<std::string>& paths) {
    for (const std::string& p : paths) {
        if (p.empty()) continue;
        if (::lchown(p.c_str(), who.uid, who.gid) != 0 && errno != ENOENT) {
            return std::unexpected("cannot give " + p + " to user " + who.user + ": " +
                                   std::strerror(errno));
        }
    }
    return {};
}

std::expected<DropResult, std::string> drop_privileges(const RunAs& who, bool want_sys_time,
                                                       bool want_net_bind) {
    if (int n = thread_count(); n != 1) {
        return std::unexpected("internal error: " + std::to_string(n) +
                               " threads exist before the privilege drop (they would keep root)");
    }
    if (capng_get_caps_process() != 0) return std::unexpected("cannot read capabilities");
    const bool have_sys_time = capng_have_capability(CAPNG_PERMITTED, CAP_SYS_TIME) != 0;
    const bool keep_sys_time = want_sys_time && have_sys_time;
    const bool have_net_bind = capng_have_capability(CAPNG_PERMITTED, CAP_NET_BIND_SERVICE) != 0;
    const bool keep_net_bind = want_net_bind && have_net_bind;
    const bool can_bound = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) != 0;

    capng_clear(CAPNG_SELECT_BOTH);
    if (keep_sys_time) {
        capng_update(
            CAPNG_ADD,
            static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET),
            CAP_SYS_TIME);
    }
    if (keep_net_bind) {
        capng_update(
            CAPNG_ADD,
            static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET),
            CAP_NET_BIND_SERVICE);
    }
    const int flags = CAPNG_DROP_SUPP_GRP | (can_bound ? CAPNG_CLEAR_BOUNDING : 0);
    const int rc = capng_change_id(static_cast<int>(who.uid), static_cast<int>(who.gid),
                                   static_cast<capng_flags_t>(flags));
    if (rc != 0) {
        return std::unexpected("cannot switch to user " + who.user +
                               " (libcap-ng capng_change_id " + std::to_string(rc) + ", errno " +
                               std::strerror(errno) + ")");
    }
    // A process that is root again could regain everything: make sure the switch stuck.
    if (::getuid() != who.uid || ::geteuid() != who.uid || ::getgid() != who.gid ||
        (who.uid != 0 && ::setuid(0) == 0)) {
        return std::unexpected("switch to user " + who.user + " did not take effect");
    }
    DropResult r;
    r.kept_sys_time = keep_sys_time;
    r.kept_net_bind = keep_net_bind;
    r.summary = "running as " + who.user + " (uid " + std::to_string(who.uid) + ", gid " +
                std::to_string(who.gid) + "), capabilities: " + effective_capabilities_text();
    if (want_sys_time && !have_sys_time) {
        r.summary += " (CAP_SYS_TIME was not available: the clock is observed, not adjusted)";
    }
    if (want_net_bind && !have_net_bind) {
        r.summary +=
            " (CAP_NET_BIND_SERVICE was not available: a reload cannot bind ports below "
            "1024)";
    }
    return r;
}

std::string effective_capabilities_text() {
    capng_get_caps_process();
    switch (capng_have_capabilities(CAPNG_SELECT_CAPS)) {
        case CAPNG_NONE:
            return "none";
        case CAPNG_FULL:
            return "full";
        default:
            break;
    }
    char* text = capng_print_caps_text(CAPNG_PRINT_BUFFER, CAPNG_EFFECTIVE);
    std::string out = text ? text : "?";
    std::free(text);
    return out;
}

}  // namespace ntplite::daemon
