// Output of `ntpq-lite query`: text (a detail block, or w32tm-style strip chart lines plus a
// summary) and JSON (schema "ntpq-lite.query/1", documented in tools/ntpq/README.md and --help).
// All pure functions of their arguments, so the exact output is unit-tested.
#pragma once

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tools/ntpq/exit_codes.hpp"
#include "tools/ntpq/host_port.hpp"
#include "tools/ntpq/sntp_reply.hpp"

namespace ntplite::tools {

/// Identifies the JSON layout; bumped only on incompatible changes (fields may be added).
inline constexpr std::string_view kQueryJsonSchema = "ntpq-lite.query/1";

/// One attempt of a run: when it ended and what came of it.
struct SampleOutcome {
    int64_t time_unix_ns = 0;  ///< local wall-clock time the attempt ended (receive or give-up)
    std::expected<SntpSample, SntpFailure> result;
};

/// Everything a run produced, for the summary and the JSON document.
struct QueryReport {
    HostPort server;
    int count_requested = 1;
    double interval_s = 1.0;
    double timeout_s = 1.0;
    std::vector<SampleOutcome> samples;
    std::optional<SntpFailure> fatal;  ///< a failure before any sample (e.g. resolve failed)
    ExitCode exit_code = ExitCode::kOk;
};

/// min / median / max of a set of nanosecond values (median of an even count: mean of the two
/// middle values, rounded toward negative infinity).
struct Stats {
    int64_t min_ns = 0;
    int64_t median_ns = 0;
    int64_t max_ns = 0;
    friend bool operator==(const Stats&, const Stats&) = default;
};
/// nullopt for an empty set.
std::optional<Stats> summarize(std::span<const int64_t> values_ns);

/// Signed seconds with 9 decimals: "+0.000012345", "-1.500000000" (sign only when `with_sign`).
std::string format_seconds(int64_t ns, bool with_sign);
/// Milliseconds with 6 decimals (nanosecond resolution, chrony's unit for offsets): "+0.012345".
std::string format_ms(int64_t ns, bool with_sign);
/// A short human duration for chart labels: "100us", "2ms", "1s".
std::string format_short_duration(int64_t ns);
/// "HH:MM:SS.mmm" UTC.
std::string format_utc_time(int64_t unix_ns);
/// "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (RFC 3339, UTC, nanoseconds).
std::string format_rfc3339_ns(int64_t unix_ns);
/// "0 (no warning)", "1 (last minute has 61 s)", "2 (last minute has 59 s)", "3 (unsynchronized)".
std::string format_leap(proto::LeapIndicator li);
/// The refid as people read it; stratum 0/1 codes as ".CODE." (KoD codes spelled out).
std::string format_refid_text(const proto::Packet& p);

/// The multi-line detail block of one sample (used when one sample is requested).
std::string format_sample_details(const SntpSample& s, const HostPort& server);

/// Strip chart geometry: the chart spans [-half_range_ns, +half_range_ns] over `width` columns.
struct ChartScale {
    int64_t half_range_ns = 100'000;
    int width = 41;  ///< odd, so 0 has its own column
};
/// Smallest 1-2-5 step >= 2*|offset| (at least 100 us), so the first sample lands mid-way.
ChartScale choose_chart_scale(std::optional<int64_t> first_offset_ns);
/// "|          *          |"; '<' or '>' at the edge when off the chart.
std::string render_strip(int64_t offset_ns, const ChartScale& scale);
/// True when `offset_ns` falls off the chart: the caller picks a new scale (choose_chart_scale)
/// and prints format_strip_scale() again, so +0.25 ms and +500 ms never draw the same.
bool chart_needs_rescale(int64_t offset_ns, const ChartScale& scale);
/// The column labels with the chart's scale ("time (UTC)  offset (ms) ... -100us 0 +100us").
std::string format_strip_scale(const ChartScale& scale);
/// Column header of the strip chart lines.
std::string format_stripchart_header(const HostPort& server, const QueryReport& report,
                                     const ChartScale& scale);
/// One line: "HH:MM:SS.mmm  +0.000012345  0.000045678  |...*...|" or the failure.
std::string format_stripchart_line(const SampleOutcome& o, const ChartScale& scale);
/// The summary after a run of several samples: counts, min/median/max, server details.
std::string format_summary(const QueryReport& report);

/// The JSON document of a run (keys in a fixed, documented order).
nlohmann::ordered_json to_json(const QueryReport& report);
/// The JSON object of one sample (ok or failed).
nlohmann::ordered_json to_json(const SampleOutcome& o);

}  // namespace ntplite::tools
