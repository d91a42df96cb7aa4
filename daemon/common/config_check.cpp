#include "daemon/common/config_check.hpp"

#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "daemon/common/pidfile.hpp"
#include "daemon/server/listen.hpp"

namespace ntplite::daemon {
namespace {

std::string where(const config::Config& cfg, const config::SourcePos& pos) {
    if (pos.line == 0) return cfg.file + ": ";
    return cfg.file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": ";
}

/// Empty if `address` can be bound on this machine (tried with port 0, so nothing is taken),
/// else the reason.
std::string bind_problem(const Endpoint& e) {
    Endpoint probe = e;
    probe.port = 0;
    sockaddr_storage ss{};
    const socklen_t len = probe.to_sockaddr(ss);
    int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::string("socket: ") + std::strerror(errno);
    std::string problem;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
        problem = errno == EADDRNOTAVAIL
                      ? "is not an address of this machine (bind: Cannot assign requested address)"
                      : std::string("bind: ") + std::strerror(errno);
    }
    ::close(fd);
    return problem;
}

/// A file the daemon creates: its directory must exist, or (if `creatable`) at least its parent.
void check_parent(std::vector<CheckFinding>& out, const config::Config& cfg, const char* what,
                  const std::string& path, bool creatable) {
    const std::string dir = parent_directory(path);
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            out.push_back(
                {true, cfg.file + ": " + what + " " + path + ": " + dir + " is not a directory"});
        return;
    }
    if (creatable && ::stat(parent_directory(dir).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        out.push_back({false, cfg.file + ": " + what + " " + path + ": directory " + dir +
                                  " does not exist yet; the daemon creates it at start"});
        return;
    }
    // The daemon cannot create it: an error for files it needs (socket, pid file), a warning
    // for the drift file (the daemon runs, only the learned frequency is not kept).
    out.push_back({creatable, cfg.file + ": " + what + " " + path + ": directory " + dir +
                                  " does not exist (create it, or change the path)"});
}

}  // namespace

std::string effective_pidfile(const config::Config& cfg) {
    if (!cfg.daemon.pidfile.empty()) return cfg.daemon.pidfile;
    const char* rt = std::getenv("RUNTIME_DIRECTORY");
    if (rt && rt[0] == '/') {
        std::string dir = rt;
        // systemd passes a colon-separated list when several directories are configured.
        dir = dir.substr(0, dir.find(':'));
        return dir + "/ntpd-lite.pid";
    }
    return {};
}

std::vector<std::string> config_warnings(const config::Config& cfg) {
    std::vector<std::string> out;
    if (cfg.sources.empty() && !cfg.local.stratum) {
        out.push_back(cfg.file +
                      ": no [[source]] and no [local] stratum: the daemon will never be "
                      "synchronized" +
                      (cfg.servers.empty() ? " and serves nobody (no [[server]]): it does nothing"
                                           : " and tells every client \"unsynchronized\"") +
                      "; add a [[source]] (or [local] stratum for an isolated network)");
    }
    return out;
}

std::vector<std::string> reload_read_warnings(const config::Config& cfg) {
    std::vector<std::string> out;
    if (cfg.daemon.user.empty()) return out;
    const passwd* pw = ::getpwnam(cfg.daemon.user.c_str());
    if (pw == nullptr || pw->pw_uid == 0) return out;
    const uid_t uid = pw->pw_uid;
    const gid_t gid = pw->pw_gid;
    const group* gr = ::getgrgid(gid);
    const std::string group_name = gr ? gr->gr_name : std::to_string(gid);
    auto check = [&](const char* what, const std::string& path) {
        struct stat st {};
        if (path.empty() || ::stat(path.c_str(), &st) != 0) return;
        const bool readable = (st.st_uid == uid && (st.st_mode & S_IRUSR) != 0) ||
                              (st.st_gid == gid && (st.st_mode & S_IRGRP) != 0) ||
                              (st.st_mode & S_IROTH) != 0;
        if (!readable)
            out.push_back(cfg.file + ": " + what + " " + path +
                          " is not readable by [daemon] user \"" + cfg.daemon.user +
                          "\": read at start as root, but a reload after it changes "
                          "will be refused (make it group " +
                          group_name + ", mode 0640)");
    };
    check("[auth] keyfile", cfg.auth.keyfile);
    check("[nts] certificate", cfg.nts.certificate);
    check("[nts] private_key", cfg.nts.private_key);
    return out;
}

std::vector<CheckFinding> check_environment(const config::Config& cfg) {
    std::vector<CheckFinding> out;
    if (!cfg.daemon.user.empty()) {
        errno = 0;
        if (::getpwnam(cfg.daemon.user.c_str()) == nullptr) {
            out.push_back({true, cfg.file + ": [daemon] user \"" + cfg.daemon.user +
                                     "\" does not exist (create it with adduser --system "
                                     "--group " +
                                     cfg.daemon.user + ")"});
        }
    }
    if (!cfg.daemon.pidfile.empty()) check_parent(out, cfg, "pidfile", cfg.daemon.pidfile, true);
    for (const config::ServerConfig& s : cfg.servers) {
        auto endpoints = resolve_listen(s.listen);
        if (!endpoints) {
            out.push_back({true, where(cfg, s.pos) + "[[server]] listen \"" + s.listen.to_string() +
                                     "\": " + endpoints.error()});
            continue;
        }
        for (const Endpoint& e : *endpoints) {
            if (std::string p = bind_problem(e); !p.empty()) {
                out.push_back(
                    {true, where(cfg, s.pos) + "[[server]] listen " + e.to_string() + ": " + p});
            }
        }
    }
    if (cfg.metrics.listen) {
        auto endpoints = resolve_listen(*cfg.metrics.listen);
        if (endpoints) {
            for (const Endpoint& e : *endpoints) {
                if (std::string p = bind_problem(e); !p.empty())
                    out.push_back(
                        {true, cfg.file + ": [metrics] listen " + e.to_string() + ": " + p});
            }
        }
    }
    if (!cfg.control.socket.empty())
        check_parent(out, cfg, "control socket", cfg.control.socket, true);
    if (!cfg.clock.drift_file.empty() && cfg.clock.mode == config::ClockMode::kDiscipline)
        check_parent(out, cfg, "drift_file", cfg.clock.drift_file, false);
    for (const std::string& w : config_warnings(cfg)) out.push_back({false, w});
    for (const std::string& w : reload_read_warnings(cfg)) out.push_back({false, w});
    return out;
}

}  // namespace ntplite::daemon
