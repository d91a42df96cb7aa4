// `ntpq-lite query HOST[:PORT]`: one or more SNTP samples of a server, as text or JSON.
// The command-line parsing lives in main.cpp (CLI11); this is the command itself.
#pragma once

#include <ostream>
#include <string>

#include "tools/ntpq/exit_codes.hpp"

namespace ntplite::tools {

/// The options of `query`, already range-checked by the command line parser.
struct QueryOptions {
    std::string server = "";  ///< HOST[:PORT], [V6]:PORT or a bare IPv6 literal
    int count = 1;            ///< number of samples, >= 1
    double interval_s = 1.0;  ///< seconds between the starts of two samples, >= 0
    double timeout_s = 1.0;   ///< seconds to wait for each answer (and for the resolver), > 0
    bool json = false;        ///< one JSON document on stdout instead of text
};

/// Runs the query, writing results to `out` and one-line errors to `err`. Returns the exit
/// status (exit_codes.hpp); kUsage if `server` does not parse.
ExitCode run_query(const QueryOptions& options, std::ostream& out, std::ostream& err);

/// The --help footer of `query`: output, JSON schema summary and exit statuses.
std::string query_help_footer();

}  // namespace ntplite::tools
