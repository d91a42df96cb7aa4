// `ntpq-lite monitor HOST [HOST...]`: one SNTP query per server, no daemon needed (like
// `w32tm /monitor`): each server's offset from the local clock and from the first server that
// answered, delay, stratum and refid, and which servers disagree with the majority.
#pragma once

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tools/ntpq/exit_codes.hpp"
#include "tools/ntpq/host_port.hpp"
#include "tools/ntpq/sntp_reply.hpp"

namespace ntplite::tools {

inline constexpr std::string_view kMonitorJsonSchema = "ntpq-lite.monitor/1";

struct MonitorOptions {
    std::vector<std::string> servers;  ///< HOST[:PORT] each
    double timeout_s = 1.0;            ///< per server
    double tolerance_s = 0.1;          ///< offsets closer than this (plus half the delays) agree
    bool json = false;
};

/// One server's line.
struct MonitorRow {
    std::string label;  ///< as given on the command line
    std::expected<SntpSample, SntpFailure> result;
    std::optional<int64_t> offset_from_first_ns;  ///< vs the first server that answered
    bool agrees = true;  ///< false: answered but outside the majority (or did not answer)
};

/// The verdict over all rows.
struct MonitorVerdict {
    std::size_t answered = 0;
    std::size_t majority = 0;   ///< size of the largest group of mutually agreeing servers
    bool has_majority = false;  ///< that group is more than half of those that answered
};

/// Fills offset_from_first_ns and agrees, and returns the verdict. Two servers agree when their
/// offsets differ by at most tolerance + half the sum of their delays (each offset is only known
/// to within half its round trip). The group is the largest set agreeing with one member
/// (earliest member on a tie); with a strict majority, everyone outside it is flagged; with no
/// majority, everyone is. Pure.
MonitorVerdict evaluate_monitor(std::vector<MonitorRow>& rows, int64_t tolerance_ns);

/// The text table and summary line.
std::string format_monitor(const std::vector<MonitorRow>& rows, const MonitorVerdict& v);
/// The JSON document.
nlohmann::ordered_json monitor_json(const std::vector<MonitorRow>& rows, const MonitorVerdict& v,
                                    double tolerance_s, ExitCode code);
/// 0 when every server answered and agrees, else kDisagreement (10); kUsage for a bad argument.
ExitCode monitor_exit_code(const std::vector<MonitorRow>& rows);

/// Runs the queries (one after the other) and prints the result.
ExitCode run_monitor(const MonitorOptions& o, std::ostream& out, std::ostream& err);

}  // namespace ntplite::tools
