// ntpd-lite: command line, logging set-up, config loading, then the engine.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/os/config_file.hpp"
#include "daemon/common/config_check.hpp"
#include "daemon/common/exit_codes.hpp"
#include "daemon/common/log_setup.hpp"
#include "daemon/common/pidfile.hpp"
#include "daemon/common/privileges.hpp"
#include "daemon/engine.hpp"
#include "ntplite/version.hpp"

namespace {

using ntplite::daemon::ExitCode;

int code(ExitCode c) {
    return static_cast<int>(c);
}

/// Prints every config error as "file:line:column: message"; returns the config if valid.
std::optional<ntplite::config::Config> load(const std::string& path) {
    auto cfg = ntplite::config::load_file(path);
    if (!cfg) {
        for (const auto& e : cfg.error()) std::fprintf(stderr, "%s\n", e.to_string().c_str());
        return std::nullopt;
    }
    return std::move(*cfg);
}

/// --check-config: syntax, then what the file names on this machine.
int check_config(const std::string& path) {
    auto cfg = load(path);
    if (!cfg) return code(ExitCode::kConfig);
    bool failed = false;
    for (const auto& f : ntplite::daemon::check_environment(*cfg)) {
        std::fprintf(stderr, "%s%s\n", f.error ? "" : "warning: ", f.message.c_str());
        failed = failed || f.error;
    }
    if (failed) return code(ExitCode::kConfig);
    std::printf("%s: OK\n", path.c_str());
    return code(ExitCode::kOk);
}

/// What the privilege drop needs from the config (the engine owns the config by then).
struct DropPlan {
    std::string user;                ///< [daemon] user; "" = no drop
    bool want_sys_time = false;      ///< discipline mode: keep CAP_SYS_TIME
    bool want_net_bind = false;      ///< a reload may bind a port below 1024
    std::vector<std::string> paths;  ///< files and dedicated directories to give to the user
    /// Files a reload re-reads that the user cannot read (logged after the drop).
    std::vector<std::string> reload_warnings;
};

/// A directory is handed over only if it is dedicated to ntpd-lite (its name says so), never
/// a shared one such as /run or /var/lib.
bool dedicated_directory(const std::string& dir) {
    const std::string base = dir.substr(dir.find_last_of('/') + 1);
    return base.find("ntpd-lite") != std::string::npos;
}

DropPlan drop_plan_of(const ntplite::config::Config& cfg, const std::string& pidfile) {
    using ntplite::daemon::parent_directory;
    DropPlan plan;
    plan.user = cfg.daemon.user;
    plan.want_sys_time = cfg.clock.mode == ntplite::config::ClockMode::kDiscipline;
    // [[server]] sockets are bound before the drop and a reload never re-binds them (restart);
    // the metrics listener is the one a reload re-opens. Keep the capability when it already
    // sits below 1024 (a reload may move it to another low port) or when the admin asks.
    plan.want_net_bind =
        cfg.daemon.keep_net_bind_service || (cfg.metrics.listen && cfg.metrics.listen->port < 1024);
    plan.reload_warnings = ntplite::daemon::reload_read_warnings(cfg);
    for (const std::string& file : {pidfile, cfg.control.socket, cfg.clock.drift_file}) {
        if (file.empty()) continue;
        plan.paths.push_back(file);
        if (dedicated_directory(parent_directory(file)))
            plan.paths.push_back(parent_directory(file));
    }
    return plan;
}

/// Engine::start()'s before-threads step: switch to [daemon] user keeping CAP_SYS_TIME.
std::expected<void, ntplite::daemon::StartError> drop_privileges(const DropPlan& plan) {
    using ntplite::daemon::StartError;
    if (plan.user.empty()) return {};
    if (!ntplite::daemon::can_switch_user()) {
        spdlog::info("[daemon] user = \"{}\" ignored: not started as root", plan.user);
        return {};
    }
    auto who = ntplite::daemon::lookup_user(plan.user);
    if (!who) return std::unexpected(StartError{ExitCode::kPrivileges, who.error()});
    if (auto ok = ntplite::daemon::hand_over(*who, plan.paths); !ok)
        return std::unexpected(StartError{ExitCode::kPrivileges, ok.error()});
    auto dropped = ntplite::daemon::drop_privileges(*who, plan.want_sys_time, plan.want_net_bind);
    if (!dropped) return std::unexpected(StartError{ExitCode::kPrivileges, dropped.error()});
    spdlog::info("{}", dropped->summary);
    for (const std::string& w : plan.reload_warnings) spdlog::warn("{}", w);
    return {};
}

int run(int argc, char** argv) {
    CLI::App app{"ntpd-lite: a lightweight NTP server and client", "ntpd-lite"};
    std::string config_path;
    std::string check_path;
    bool no_clock = false;
    app.set_version_flag("-V,--version", "ntpd-lite " + std::string(ntplite::kVersion));
    auto* config_opt = app.add_option("-c,--config", config_path, "configuration file (TOML)");
    auto* check_opt = app.add_option(
        "--check-config", check_path,
        "validate a configuration file and what it names (interfaces, addresses, directories, "
        "user), print its problems and exit");
    app.add_flag("--no-clock", no_clock,
                 "never adjust the system clock (forces [clock] mode = \"observe\")");
    config_opt->excludes(check_opt);
    app.footer(std::string(ntplite::daemon::kExitCodesHelp) +
               "\nSignals: SIGTERM/SIGINT stop, SIGHUP reloads the configuration, SIGUSR1 logs "
               "the counters.\nSee ntpd-lite(8) and ntpd-lite.toml(5).");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        std::fprintf(stderr, "ntpd-lite: %s (see ntpd-lite --help)\n", e.what());
        return code(ExitCode::kUsage);
    }

    if (!check_path.empty()) return check_config(check_path);
    if (config_path.empty()) {
        std::fprintf(stderr, "ntpd-lite: --config FILE is required (see --help)\n");
        return code(ExitCode::kUsage);
    }
    auto cfg = load(config_path);
    if (!cfg) {
        std::fprintf(stderr, "ntpd-lite: refusing to start with an invalid configuration\n");
        return code(ExitCode::kConfig);
    }
    if (no_clock) cfg->clock.mode = ntplite::config::ClockMode::kObserve;

    ntplite::daemon::setup_logging(ntplite::daemon::stderr_is_journal(), cfg->log.level);
    spdlog::info("ntpd-lite {} starting (config {}, clock mode {}{})", ntplite::kVersion,
                 config_path,
                 cfg->clock.mode == ntplite::config::ClockMode::kObserve ? "observe" : "discipline",
                 no_clock ? ", forced by --no-clock" : "");
    for (const std::string& w : ntplite::daemon::config_warnings(*cfg)) spdlog::warn("{}", w);

    // The single-instance lock first: a second daemon must not touch sockets or the clock.
    std::optional<ntplite::daemon::PidFile> pidfile;
    if (const std::string path = ntplite::daemon::effective_pidfile(*cfg); !path.empty()) {
        auto lock = ntplite::daemon::PidFile::acquire(path);
        if (!lock) {
            spdlog::critical("{}", lock.error().message);
            return code(lock.error().held ? ExitCode::kAlreadyRunning : ExitCode::kStartup);
        }
        pidfile.emplace(std::move(*lock));
    }
    const DropPlan drop = drop_plan_of(*cfg, pidfile ? pidfile->path() : std::string());

    ntplite::daemon::Engine engine(std::move(*cfg));
    if (auto ok = engine.start([&drop] { return drop_privileges(drop); }); !ok) {
        spdlog::critical("{}", ok.error().message);
        return code(ok.error().code);
    }
    engine.run();
    spdlog::info("ntpd-lite stopped");
    return code(ExitCode::kOk);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ntpd-lite: fatal: %s\n", e.what());
        return code(ExitCode::kInternal);
    }
}
