// ntpq-lite: query and monitor NTP servers. Each command is a CLI11 subcommand; the commands
// themselves live in the ntplite_ntpq library (query_command.hpp, ...).
#include <CLI/CLI.hpp>
#include <iostream>

#include "tools/ntpq/exit_codes.hpp"
#include "tools/ntpq/query_command.hpp"

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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ntpq-lite: query NTP servers (part of ntp-lite)", "ntpq-lite"};
    app.require_subcommand(1);
    app.footer(std::string(ntplite::tools::exit_codes_help()));
    ntplite::tools::QueryOptions query;
    add_query_command(app, query);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        // One line, like every other error of this tool.
        std::cerr << "ntpq-lite: " << e.what() << " (see ntpq-lite --help)\n";
        return static_cast<int>(ExitCode::kUsage);
    }
    try {
        if (app.got_subcommand("query")) {
            return static_cast<int>(ntplite::tools::run_query(query, std::cout, std::cerr));
        }
    } catch (const std::exception& e) {
        std::cerr << "ntpq-lite: internal error: " << e.what() << "\n";
    }
    return static_cast<int>(ExitCode::kInternal);
}
