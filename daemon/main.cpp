// ntpd-lite: command line, logging set-up, config loading, then the engine.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "config/config.hpp"
#include "daemon/engine.hpp"

namespace {

spdlog::level::level_enum to_spdlog(ntplite::config::LogLevel level) {
    using ntplite::config::LogLevel;
    switch (level) {
        case LogLevel::kTrace:
            return spdlog::level::trace;
        case LogLevel::kDebug:
            return spdlog::level::debug;
        case LogLevel::kInfo:
            return spdlog::level::info;
        case LogLevel::kWarn:
            return spdlog::level::warn;
        case LogLevel::kError:
            return spdlog::level::err;
        case LogLevel::kCritical:
            return spdlog::level::critical;
        case LogLevel::kOff:
            return spdlog::level::off;
    }
    return spdlog::level::info;
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

int run(int argc, char** argv) {
    CLI::App app{"ntpd-lite: a lightweight NTP server and client"};
    std::string config_path;
    std::string check_path;
    bool no_clock = false;
    auto* config_opt = app.add_option("-c,--config", config_path, "configuration file (TOML)");
    auto* check_opt = app.add_option("--check-config", check_path,
                                     "validate a configuration file, print its errors and exit");
    app.add_flag("--no-clock", no_clock,
                 "never adjust the system clock (forces [clock] mode = \"observe\")");
    config_opt->excludes(check_opt);
    CLI11_PARSE(app, argc, argv);

    if (!check_path.empty()) {
        if (!load(check_path)) return 1;
        std::printf("%s: OK\n", check_path.c_str());
        return 0;
    }
    if (config_path.empty()) {
        std::fprintf(stderr, "ntpd-lite: --config FILE is required (see --help)\n");
        return 2;
    }
    auto cfg = load(config_path);
    if (!cfg) {
        std::fprintf(stderr, "ntpd-lite: refusing to start with an invalid configuration\n");
        return 1;
    }
    if (no_clock) cfg->clock.mode = ntplite::config::ClockMode::kObserve;

    auto logger = spdlog::stderr_color_mt("ntpd-lite");
    spdlog::set_default_logger(logger);
    // UTC with a 'Z', like chrony's logs: a log line means the same on every machine.
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    spdlog::set_level(to_spdlog(cfg->log.level));
    spdlog::info("ntpd-lite starting (config {}, clock mode {}{})", config_path,
                 cfg->clock.mode == ntplite::config::ClockMode::kObserve ? "observe" : "discipline",
                 no_clock ? ", forced by --no-clock" : "");

    ntplite::daemon::Engine engine(std::move(*cfg));
    if (auto ok = engine.start(); !ok) {
        spdlog::critical("{}", ok.error());
        return 1;
    }
    engine.run();
    spdlog::info("ntpd-lite stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ntpd-lite: fatal: %s\n", e.what());
        return 1;
    }
}
