// `ntpq-lite waitsync`: waits until the daemon is synchronized to a source with an offset within
// a bound, like `chronyc waitsync` (and chrony-wait.service) do, so boot ordering can depend on
// good time. Polls the daemon over mode 6 once a second; exits 0 when synchronized, 13 when the
// time runs out (the last state is printed), 2 on usage errors.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "tools/ntpq/daemon_commands.hpp"
#include "tools/ntpq/daemon_query.hpp"
#include "tools/ntpq/exit_codes.hpp"

namespace ntplite::tools {

inline constexpr std::string_view kWaitsyncJsonSchema = "ntpq-lite.waitsync/1";

struct WaitsyncOptions {
    DaemonOptions daemon;        ///< --host/--port/--json (each request waits 1 s at most)
    double timeout_s = 60.0;     ///< give up after this long (0: wait forever)
    double max_offset_s = -1.0;  ///< |system offset| must be at most this (< 0: any offset)
    double interval_s = 1.0;     ///< between checks
};

/// One check's outcome, for the loop and its tests.
struct WaitCheck {
    bool answered = false;  ///< the daemon answered
    bool done = false;      ///< synchronized within the bound
    std::string state;      ///< "synchronized", "holdover", ... or "" when no answer
    std::string line;       ///< what to print for this check
    std::optional<double> offset_ms;
};

/// The loop with injected IO: `check` queries the daemon once, `now_s` is a monotonic clock in
/// seconds, `sleep_s` waits. Returns the exit status.
ExitCode run_waitsync_loop(const WaitsyncOptions& o, const std::function<WaitCheck()>& check,
                           const std::function<double()>& now_s,
                           const std::function<void(double)>& sleep_s, std::ostream& out,
                           std::ostream& err);

/// Judges one report against the options (pure).
WaitCheck judge(const DaemonReport& r, const WaitsyncOptions& o);

/// The command: resolves --host, then loops over real mode 6 queries.
ExitCode run_waitsync(const WaitsyncOptions& o, std::ostream& out, std::ostream& err);

}  // namespace ntplite::tools
