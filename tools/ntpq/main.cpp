// ntpq-lite: query and monitor NTP servers. Each command is a CLI11 subcommand; the commands
// themselves live in the ntplite_ntpq library (query_command.hpp, ...).
#include <CLI/CLI.hpp>
#include <iostream>

#include "ntplite/version.hpp"
#include "tools/ntpq/control_client.hpp"
#include "tools/ntpq/daemon_commands.hpp"
#include "tools/ntpq/daemon_format.hpp"
#include "tools/ntpq/exit_codes.hpp"
#include "tools/ntpq/monitor_command.hpp"
#include "tools/ntpq/query_command.hpp"
#include "tools/ntpq/waitsync_command.hpp"

namespace {

using ntplite::tools::ExitCode;

// `query HOST[:PORT]`: one-shot (or --count N) SNTP samples of a server.
void add_query_command(CLI::App& app, ntplite::tools::QueryOptions& o) {
    CLI::App* q = app.add_subcommand("query", "Measure the offset of an NTP server (SNTP client)");
    q->add_option("server", o.server,
                  "HOST[:PORT], [IPV6]:PORT or a bare IPv6 address; the port defaults to 123")
        ->required();
    q->add_option("-c,--count", o.count, "number of samples (default 1)")
        ->check(CLI::Range(1, 1'000'000));
    q->add_option("-i,--interval", o.interval_s, "seconds between samples (default 1, min 0.1)")
        ->check(CLI::Range(0.1, 86'400.0));
    q->add_option("-t,--timeout", o.timeout_s,
                  "seconds to wait for each answer and for name resolution (default 1)")
        ->check(CLI::Range(0.001, 60.0));
    q->add_flag("--json", o.json, "print one JSON document instead of text");
    q->footer(ntplite::tools::query_help_footer());
}

// `peers`, `status`, `source`: mode 6 queries of a daemon.
CLI::App* add_daemon_command(CLI::App& app, const char* name, const char* help,
                             ntplite::tools::DaemonOptions& o) {
    CLI::App* c = app.add_subcommand(name, help);
    c->add_option("--host", o.host, "daemon address or name (default 127.0.0.1)");
    c->add_option("--port", o.port, "daemon NTP port (default 123)")->check(CLI::Range(1, 65535));
    c->add_option("-t,--timeout", o.timeout_s, "seconds to wait for each answer (default 2)")
        ->check(CLI::Range(0.001, 60.0));
    c->add_flag("--json", o.json, "print one JSON document instead of text");
    return c;
}

void add_control_options(CLI::App* c, ntplite::tools::ControlOptions& o) {
    c->add_option("--socket", o.socket_path,
                  "ntpd-lite control socket (default /run/ntpd-lite/control.sock)");
    c->add_option("-t,--timeout", o.timeout_s, "seconds to wait for the answer (default 2)")
        ->check(CLI::Range(0.001, 60.0));
    c->add_flag("--json", o.json, "print one JSON document instead of text");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ntpq-lite: query NTP servers (part of ntp-lite)", "ntpq-lite"};
    app.set_version_flag("-V,--version", "ntpq-lite " + std::string(ntplite::kVersion));
    app.require_subcommand(1);
    app.footer(std::string(ntplite::tools::exit_codes_help()));
    ntplite::tools::QueryOptions query;
    add_query_command(app, query);
    ntplite::tools::DaemonOptions peers, status, source;
    add_daemon_command(app, "peers", "List the daemon's sources like `ntpq -p` (mode 6)", peers)
        ->add_flag("-v,--verbose", peers.verbose, "print a legend of the columns and states");
    add_daemon_command(app, "status", "Is the daemon synchronized, to what, how well (mode 6)",
                       status);
    add_daemon_command(app, "source", "One line: the source in use (like w32tm /query /source)",
                       source);
    ntplite::tools::MonitorOptions monitor;
    CLI::App* m =
        app.add_subcommand("monitor", "Query several servers once each and compare them (SNTP)");
    m->add_option("servers", monitor.servers, "HOST[:PORT] ...")->required();
    m->add_option("-t,--timeout", monitor.timeout_s, "seconds to wait for each server (default 1)")
        ->check(CLI::Range(0.001, 60.0));
    m->add_option(
         "--tolerance", monitor.tolerance_s,
         "seconds two offsets may differ (plus half their delays) and still agree (default 0.1)")
        ->check(CLI::Range(0.0, 86400.0));
    m->add_flag("--json", monitor.json, "print one JSON document instead of text");
    ntplite::tools::WaitsyncOptions waitsync;
    CLI::App* w = app.add_subcommand(
        "waitsync", "Wait until the daemon is synchronized to a source (like chronyc waitsync)");
    w->add_option("--host", waitsync.daemon.host, "daemon address or name (default 127.0.0.1)");
    w->add_option("--port", waitsync.daemon.port, "daemon NTP port (default 123)")
        ->check(CLI::Range(1, 65535));
    w->add_flag("--json", waitsync.daemon.json, "print one JSON document at the end");
    w->add_option("-t,--timeout", waitsync.timeout_s,
                  "seconds to wait in all before exit 13 (default 60, 0: forever)")
        ->check(CLI::Range(0.0, 1e7));
    w->add_option("--max-offset", waitsync.max_offset_s,
                  "also wait until |system offset| <= this many seconds (default: any)")
        ->check(CLI::Range(0.0, 1e6));
    w->add_option("--interval", waitsync.interval_s, "seconds between checks (default 1)")
        ->check(CLI::Range(0.05, 3600.0));
    ntplite::tools::ControlOptions resync, snapshot, clients;
    add_control_options(
        app.add_subcommand("resync", "Ask ntpd-lite to poll all sources now (control socket)"),
        resync);
    add_control_options(
        app.add_subcommand("snapshot", "Print ntpd-lite's full JSON state (control socket)"),
        snapshot);
    add_control_options(
        app.add_subcommand("clients",
                           "Clients ntpd-lite's server has seen, busiest first (control socket)"),
        clients);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        // One line, like every other error of this tool; with --json also one document.
        std::cerr << "ntpq-lite: " << e.what() << " (see ntpq-lite --help)\n";
        for (int i = 1; i < argc; ++i) {
            if (std::string_view(argv[i]) == "--json") {
                std::cout << ntplite::tools::failure_json("ntpq-lite.usage/1", "", ExitCode::kUsage,
                                                          "usage", e.what())
                                 .dump(2)
                          << "\n";
                break;
            }
        }
        return static_cast<int>(ExitCode::kUsage);
    }
    try {
        if (app.got_subcommand("query")) {
            return static_cast<int>(ntplite::tools::run_query(query, std::cout, std::cerr));
        }
        using ntplite::tools::DaemonCommand;
        if (app.got_subcommand("peers")) {
            return static_cast<int>(
                run_daemon_command(DaemonCommand::kPeers, peers, std::cout, std::cerr));
        }
        if (app.got_subcommand("status")) {
            return static_cast<int>(
                run_daemon_command(DaemonCommand::kStatus, status, std::cout, std::cerr));
        }
        if (app.got_subcommand("source")) {
            return static_cast<int>(
                run_daemon_command(DaemonCommand::kSource, source, std::cout, std::cerr));
        }
        if (app.got_subcommand("monitor")) {
            return static_cast<int>(ntplite::tools::run_monitor(monitor, std::cout, std::cerr));
        }
        if (app.got_subcommand("resync")) {
            return static_cast<int>(ntplite::tools::run_resync(resync, std::cout, std::cerr));
        }
        if (app.got_subcommand("waitsync")) {
            return static_cast<int>(ntplite::tools::run_waitsync(waitsync, std::cout, std::cerr));
        }
        if (app.got_subcommand("clients")) {
            return static_cast<int>(ntplite::tools::run_clients(clients, std::cout, std::cerr));
        }
        if (app.got_subcommand("snapshot")) {
            return static_cast<int>(ntplite::tools::run_snapshot(snapshot, std::cout, std::cerr));
        }
    } catch (const std::exception& e) {
        std::cerr << "ntpq-lite: internal error: " << e.what() << "\n";
    }
    return static_cast<int>(ExitCode::kInternal);
}
