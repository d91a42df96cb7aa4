#include "tools/ntpq/format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "proto/refid.hpp"
#include "tools/ntpq/text_wrap.hpp"

namespace ntplite::tools {
namespace {

constexpr int64_t kNs = proto::kNsPerSecond;

// Floor division and remainder, so times before 1970 still print correctly.
void split_unix_ns(int64_t unix_ns, int64_t& sec, int64_t& rem_ns) {
    sec = unix_ns / kNs;
    rem_ns = unix_ns % kNs;
    if (rem_ns < 0) {
        rem_ns += kNs;
        sec -= 1;
    }
}

std::tm utc_fields(int64_t sec) {
    std::time_t t = static_cast<std::time_t>(sec);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return tm;
}

double to_seconds(int64_t ns) {
    return static_cast<double>(ns) / static_cast<double>(kNs);
}

std::string format_precision(int8_t log2) {
    double s = std::ldexp(1.0, log2);
    const char* unit = "s";
    double v = s;
    if (s < 1e-6) {
        v = s * 1e9;
        unit = "ns";
    } else if (s < 1e-3) {
        v = s * 1e6;
        unit = "us";
    } else if (s < 1.0) {
        v = s * 1e3;
        unit = "ms";
    }
    return fmt::format("2^{} s ({:.3g} {})", static_cast<int>(log2), v, unit);
}

std::string server_line(const SntpSample& s) {
    return "stratum " + std::to_string(s.reply.stratum) + ", refid " + format_refid_text(s.reply) +
           ", leap " + format_leap(s.reply.leap) + ", precision " +
           format_precision(s.reply.precision_log2) + ", root delay " +
           format_ms(s.reply.root_delay.to_ns(), false) + " ms, root dispersion " +
           format_ms(s.reply.root_dispersion.to_ns(), false) + " ms";
}

nlohmann::ordered_json stats_json(const std::optional<Stats>& st, bool seconds) {
    if (!st) return nullptr;
    if (seconds) {
        return {{"min", to_seconds(st->min_ns)},
                {"median", to_seconds(st->median_ns)},
                {"max", to_seconds(st->max_ns)}};
    }
    return {{"min", st->min_ns}, {"median", st->median_ns}, {"max", st->max_ns}};
}

struct Collected {
    std::vector<int64_t> offsets_ns;
    std::vector<int64_t> delays_ns;
    const SntpSample* last = nullptr;
    std::size_t failed = 0;
};

Collected collect(const QueryReport& r) {
    Collected c;
    for (const auto& o : r.samples) {
        if (o.result) {
            c.offsets_ns.push_back(o.result->offset_ns);
            c.delays_ns.push_back(o.result->delay_ns);
            c.last = &*o.result;
        } else {
            ++c.failed;
        }
    }
    return c;
}

}  // namespace

std::optional<Stats> summarize(std::span<const int64_t> values_ns) {
    if (values_ns.empty()) return std::nullopt;
    std::vector<int64_t> v(values_ns.begin(), values_ns.end());
    std::sort(v.begin(), v.end());
    Stats s;
    s.min_ns = v.front();
    s.max_ns = v.back();
    std::size_t mid = v.size() / 2;
    if (v.size() % 2 == 1) {
        s.median_ns = v[mid];
    } else {
        __int128 sum = static_cast<__int128>(v[mid - 1]) + v[mid];
        __int128 half = sum / 2;
        if (sum < 0 && sum % 2 != 0) half -= 1;  // floor, not truncation
        s.median_ns = static_cast<int64_t>(half);
    }
    return s;
}

std::string format_seconds(int64_t ns, bool with_sign) {
    // Unsigned magnitude so INT64_MIN prints too.
    uint64_t mag = ns < 0 ? uint64_t{0} - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
    const char* sign = ns < 0 ? "-" : (with_sign ? "+" : "");
    return fmt::format("{}{}.{:09}", sign, mag / kNs, mag % kNs);
}

std::string format_ms(int64_t ns, bool with_sign) {
    uint64_t mag = ns < 0 ? uint64_t{0} - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
    const char* sign = ns < 0 ? "-" : (with_sign ? "+" : "");
    return fmt::format("{}{}.{:06}", sign, mag / 1'000'000, mag % 1'000'000);
}

bool chart_needs_rescale(int64_t offset_ns, const ChartScale& scale) {
    const uint64_t mag = offset_ns < 0 ? uint64_t{0} - static_cast<uint64_t>(offset_ns)
                                       : static_cast<uint64_t>(offset_ns);
    return mag > static_cast<uint64_t>(scale.half_range_ns);
}

std::string format_short_duration(int64_t ns) {
    if (ns % kNs == 0) return std::to_string(ns / kNs) + "s";
    if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
    return std::to_string(ns) + "ns";
}

std::string format_utc_time(int64_t unix_ns) {
    int64_t sec = 0, rem = 0;
    split_unix_ns(unix_ns, sec, rem);
    std::tm tm = utc_fields(sec);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec,
                       static_cast<int>(rem / 1'000'000));
}

std::string format_rfc3339_ns(int64_t unix_ns) {
    int64_t sec = 0, rem = 0;
    split_unix_ns(unix_ns, sec, rem);
    std::tm tm = utc_fields(sec);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       static_cast<int>(rem));
}

std::string format_leap(proto::LeapIndicator li) {
    switch (li) {
        case proto::LeapIndicator::kNone:
            return "0 (no warning)";
        case proto::LeapIndicator::kInsertSecond:
            return "1 (last minute of the day has 61 s)";
        case proto::LeapIndicator::kDeleteSecond:
            return "2 (last minute of the day has 59 s)";
        case proto::LeapIndicator::kUnsynchronized:
            return "3 (unsynchronized)";
    }
    return "?";
}

std::string format_refid_text(const proto::Packet& p) {
    if (p.stratum == 0) return proto::describe_kiss(p.refid);
    return proto::format_refid(p.refid, p.stratum);
}

std::string format_sample_details(const SntpSample& s, const HostPort& server) {
    std::string out;
    auto row = [&out](const char* name, const std::string& value) {
        out += wrap_row(name, value, 16, " ");
    };
    std::string addr = s.server_address.find(':') != std::string::npos
                           ? "[" + s.server_address + "]:" + std::to_string(s.server_port)
                           : s.server_address + ":" + std::to_string(s.server_port);
    row("server", to_string(server) + (addr == to_string(server) ? "" : " (" + addr + ")"));
    row("offset", format_ms(s.offset_ns, true) + " ms" +
                      (s.offset_ns > 0   ? " (server ahead of local clock)"
                       : s.offset_ns < 0 ? " (server behind local clock)"
                                         : ""));
    row("delay", format_ms(s.delay_ns, false) + " ms");
    row("stratum", std::to_string(s.reply.stratum));
    row("refid", format_refid_text(s.reply));
    row("leap indicator", format_leap(s.reply.leap));
    row("version", std::to_string(s.reply.version));
    row("precision", format_precision(s.reply.precision_log2));
    row("root delay", format_ms(s.reply.root_delay.to_ns(), false) + " ms");
    row("root dispersion", format_ms(s.reply.root_dispersion.to_ns(), false) + " ms");
    return out;
}

ChartScale choose_chart_scale(std::optional<int64_t> first_offset_ns) {
    ChartScale scale;
    if (!first_offset_ns) return scale;
    // |offset| * 2 without overflow for any int64 value.
    uint64_t mag = *first_offset_ns < 0 ? uint64_t{0} - static_cast<uint64_t>(*first_offset_ns)
                                        : static_cast<uint64_t>(*first_offset_ns);
    unsigned __int128 want = static_cast<unsigned __int128>(mag) * 2;
    int64_t step = scale.half_range_ns;            // 1-2-5 steps upward from 100 us
    static constexpr int kFactors[] = {2, 5, 10};  // 100 -> 200 -> 500 -> 1000 -> ...
    int64_t decade = step;
    std::size_t i = 0;
    while (want > static_cast<unsigned __int128>(step) && step < INT64_MAX / 10) {
        step = decade * kFactors[i];
        if (++i == 3) {
            i = 0;
            decade = step;
        }
    }
    scale.half_range_ns = step;
    return scale;
}

std::string render_strip(int64_t offset_ns, const ChartScale& scale) {
    const int half = scale.width / 2;
    std::string cells(static_cast<std::size_t>(scale.width), ' ');
    cells[static_cast<std::size_t>(half)] = ':';  // the zero line
    long double pos =
        static_cast<long double>(offset_ns) * half / static_cast<long double>(scale.half_range_ns);
    if (pos < -half) {
        cells.front() = '<';
    } else if (pos > half) {
        cells.back() = '>';
    } else {
        cells[static_cast<std::size_t>(half + std::lround(static_cast<double>(pos)))] = '*';
    }
    return "|" + cells + "|";
}

namespace {
/// The time, offset and delay columns of the strip chart.
std::string line_prefix(std::string_view time, std::string_view offset, std::string_view delay) {
    return fmt::format("{:<12}  {:>12}  {:>11}  ", time, offset, delay);
}
}  // namespace

std::string format_stripchart_header(const HostPort& server, const QueryReport& report,
                                     const ChartScale& scale) {
    std::string out = "Tracking " + to_string(server) + ": " +
                      std::to_string(report.count_requested) + " samples, every " +
                      fmt::format("{:g}", report.interval_s) + " s; offset > 0: server ahead\n";
    out += format_strip_scale(scale);
    return out;
}

std::string format_strip_scale(const ChartScale& scale) {
    std::string labels(static_cast<std::size_t>(scale.width) + 2, ' ');
    std::string left = "-" + format_short_duration(scale.half_range_ns);
    std::string right = "+" + format_short_duration(scale.half_range_ns);
    labels.replace(0, left.size(), left);
    labels[labels.size() / 2] = '0';
    labels.replace(labels.size() - right.size(), right.size(), right);
    std::string out = line_prefix("time (UTC)", "offset (ms)", "delay (ms)") + labels;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
}

std::string format_stripchart_line(const SampleOutcome& o, const ChartScale& scale) {
    std::string time = format_utc_time(o.time_unix_ns);
    if (!o.result)
        return fmt::format("{:<12}  ", time) + "error: " + o.result.error().message + "\n";
    const SntpSample& s = *o.result;
    return line_prefix(time, format_ms(s.offset_ns, true), format_ms(s.delay_ns, false)) +
           render_strip(s.offset_ns, scale) + "\n";
}

std::string format_summary(const QueryReport& report) {
    Collected c = collect(report);
    std::string out = "--- " + to_string(report.server) + ": " +
                      std::to_string(report.samples.size()) + " requests, " +
                      std::to_string(c.offsets_ns.size()) + " valid, " + std::to_string(c.failed) +
                      " failed\n";
    auto stats_row = [&out](const char* name, const std::optional<Stats>& st, bool sign) {
        if (!st) return;
        out +=
            fmt::format("{:<7} min {}  median {}  max {} ms\n", name, format_ms(st->min_ns, sign),
                        format_ms(st->median_ns, sign), format_ms(st->max_ns, sign));
    };
    stats_row("offset", summarize(c.offsets_ns), true);
    stats_row("delay", summarize(c.delays_ns), false);
    if (c.last != nullptr) out += "server  " + server_line(*c.last) + "\n";
    return out;
}

nlohmann::ordered_json to_json(const SampleOutcome& o) {
    nlohmann::ordered_json j;
    j["time_utc"] = format_rfc3339_ns(o.time_unix_ns);
    j["time_unix_ns"] = o.time_unix_ns;
    j["ok"] = o.result.has_value();
    if (!o.result) {
        const SntpFailure& f = o.result.error();
        j["error"] = to_token(f.error);
        j["message"] = f.message;
        j["exit_code"] = static_cast<int>(exit_code_for(f.error));
        if (f.error == SntpError::kKissOfDeath) {
            // Plain "RATE", not the ".RATE." that refids print as.
            std::string code = proto::format_refid(f.kiss_refid, 0);
            if (code.size() > 2 && code.front() == '.' && code.back() == '.') {
                code = code.substr(1, code.size() - 2);
            }
            j["kiss_code"] = code;
            j["kiss_description"] = proto::describe_kiss(f.kiss_refid);
        }
        return j;
    }
    const SntpSample& s = *o.result;
    const proto::Packet& p = s.reply;
    j["address"] = s.server_address;
    j["port"] = s.server_port;
    j["offset_ns"] = s.offset_ns;
    j["offset_s"] = to_seconds(s.offset_ns);
    j["delay_ns"] = s.delay_ns;
    j["delay_s"] = to_seconds(s.delay_ns);
    j["stratum"] = p.stratum;
    j["refid"] = format_refid_text(p);
    j["refid_raw"] = p.refid;
    j["leap"] = static_cast<int>(p.leap);
    j["version"] = p.version;
    j["poll_log2"] = p.poll_log2;
    j["precision_log2"] = p.precision_log2;
    j["precision_s"] = std::ldexp(1.0, p.precision_log2);
    j["root_delay_ns"] = p.root_delay.to_ns();
    j["root_delay_s"] = to_seconds(p.root_delay.to_ns());
    j["root_dispersion_ns"] = p.root_dispersion.to_ns();
    j["root_dispersion_s"] = to_seconds(p.root_dispersion.to_ns());
    j["t1_unix_ns"] = s.t1_unix_ns;
    j["t4_unix_ns"] = s.t4_unix_ns;
    j["kernel_rx_timestamp"] = s.kernel_rx_timestamp;
    return j;
}

nlohmann::ordered_json to_json(const QueryReport& report) {
    Collected c = collect(report);
    nlohmann::ordered_json j;
    j["schema"] = kQueryJsonSchema;
    j["server"] = {{"host", report.server.host}, {"port", report.server.port}};
    j["count"] = report.count_requested;
    j["interval_s"] = report.interval_s;
    j["timeout_s"] = report.timeout_s;
    j["samples"] = nlohmann::ordered_json::array();
    for (const auto& o : report.samples) j["samples"].push_back(to_json(o));
    auto offset = summarize(c.offsets_ns);
    auto delay = summarize(c.delays_ns);
    j["summary"] = {{"requests", report.samples.size()},
                    {"valid", c.offsets_ns.size()},
                    {"failed", c.failed},
                    {"offset_ns", stats_json(offset, false)},
                    {"offset_s", stats_json(offset, true)},
                    {"delay_ns", stats_json(delay, false)},
                    {"delay_s", stats_json(delay, true)}};
    j["exit_code"] = static_cast<int>(report.exit_code);
    if (report.exit_code == ExitCode::kOk) {
        j["error"] = nullptr;
    } else {
        const SntpFailure* f = report.fatal ? &*report.fatal : nullptr;
        for (const auto& o : report.samples) {
            if (!o.result) f = &o.result.error();
        }
        // Not OK means a KoD (which ends the run) or no valid sample: the last failure decided.
        j["error"] =
            f == nullptr
                ? nlohmann::ordered_json{{"code", "internal"}, {"message", "no samples"}}
                : nlohmann::ordered_json{{"code", to_token(f->error)}, {"message", f->message}};
    }
    return j;
}

}  // namespace ntplite::tools
