#include "tools/ntpq/monitor_command.hpp"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>

#include "proto/refid.hpp"
#include "tools/ntpq/daemon_format.hpp"
#include "tools/ntpq/format.hpp"
#include "tools/ntpq/sntp_client.hpp"
#include "tools/ntpq/text_wrap.hpp"

namespace ntplite::tools {
namespace {

bool agree(const SntpSample& a, const SntpSample& b, int64_t tolerance_ns) {
    const int64_t diff = std::llabs(a.offset_ns - b.offset_ns);
    return diff <= tolerance_ns + (a.delay_ns + b.delay_ns) / 2;
}

}  // namespace

MonitorVerdict evaluate_monitor(std::vector<MonitorRow>& rows, int64_t tolerance_ns) {
    MonitorVerdict v;
    const SntpSample* first = nullptr;
    for (MonitorRow& r : rows) {
        if (!r.result) continue;
        ++v.answered;
        if (!first) first = &*r.result;
        r.offset_from_first_ns = r.result->offset_ns - first->offset_ns;
    }
    std::size_t best = rows.size();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!rows[i].result) continue;
        std::size_t n = 0;
        for (const MonitorRow& o : rows) {
            if (o.result && agree(*rows[i].result, *o.result, tolerance_ns)) ++n;
        }
        if (n > v.majority) {
            v.majority = n;
            best = i;
        }
    }
    v.has_majority = v.answered > 0 && 2 * v.majority > v.answered;
    for (MonitorRow& r : rows) {
        if (!r.result) {
            r.agrees = false;
        } else {
            // Without a majority nobody can be trusted over the others: all are flagged, unless
            // every server agrees (one server alone, or all within the tolerance).
            r.agrees = v.has_majority ? agree(*rows[best].result, *r.result, tolerance_ns)
                                      : v.majority == v.answered;
        }
    }
    return v;
}

ExitCode monitor_exit_code(const std::vector<MonitorRow>& rows) {
    for (const MonitorRow& r : rows) {
        if (!r.agrees) return ExitCode::kDisagreement;
    }
    return ExitCode::kOk;
}

std::string format_monitor(const std::vector<MonitorRow>& rows, const MonitorVerdict& v) {
    // 78 columns: values in ms like `peers` (fewer decimals rather than a wider column), a
    // server name longer than its column on a line of its own, errors and the summary wrapped.
    constexpr int kServerWidth = 18;
    std::string out =
        fmt::format("{:<{}} {:>10} {:>10} {:>8} {:>2} {:<15} {}\n", "server", kServerWidth,
                    "offset ms", "vs 1st ms", "delay ms", "st", "refid", "status");
    std::vector<std::string> flagged;
    for (const MonitorRow& r : rows) {
        std::string name = r.label;
        if (static_cast<int>(name.size()) > kServerWidth) {
            out += name + "\n";
            name.clear();
        }
        if (!r.result) {
            const std::string head = fmt::format("{:<{}} error: ", name, kServerWidth);
            out += head + wrap_text(r.result.error().message, kTextWidth,
                                    std::string(head.size(), ' '), head.size());
            flagged.push_back(r.label + " (no answer)");
            continue;
        }
        const SntpSample& s = *r.result;
        auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
        out += fmt::format("{:<{}} ", name, kServerWidth) + fit_ms(ms(s.offset_ns), 10, true) +
               " " + fit_ms(ms(r.offset_from_first_ns.value_or(0)), 10, true) + " " +
               fit_ms(ms(s.delay_ns), 8) +
               fmt::format(" {:>2} {:<15.15} {}\n", s.reply.stratum, format_refid_text(s.reply),
                           r.agrees ? "ok" : "DISAGREES");
        if (!r.agrees) flagged.push_back(r.label + " (disagrees)");
    }
    std::string summary = fmt::format("{} server(s), {} answered", rows.size(), v.answered);
    if (v.answered > 0) {
        summary += v.has_majority ? fmt::format(", {} agree", v.majority)
                                  : std::string(", no majority agrees");
    }
    if (!flagged.empty()) {
        summary += "; check:";
        for (const auto& f : flagged) summary += " " + f;
    }
    return out + wrap_text(summary, kTextWidth, "    ");
}

nlohmann::ordered_json monitor_json(const std::vector<MonitorRow>& rows, const MonitorVerdict& v,
                                    double tolerance_s, ExitCode code) {
    nlohmann::ordered_json j;
    j["schema"] = kMonitorJsonSchema;
    j["tolerance_s"] = tolerance_s;
    auto& arr = j["servers"] = nlohmann::ordered_json::array();
    nlohmann::ordered_json flagged = nlohmann::ordered_json::array();
    for (const MonitorRow& r : rows) {
        nlohmann::ordered_json e;
        e["server"] = r.label;
        e["ok"] = r.result.has_value();
        if (r.result) {
            const SntpSample& s = *r.result;
            e["address"] = s.server_address;
            e["offset_ns"] = s.offset_ns;
            e["offset_s"] = static_cast<double>(s.offset_ns) / 1e9;
            e["offset_from_first_ns"] = r.offset_from_first_ns.value_or(0);
            e["offset_from_first_s"] =
                static_cast<double>(r.offset_from_first_ns.value_or(0)) / 1e9;
            e["delay_ns"] = s.delay_ns;
            e["delay_s"] = static_cast<double>(s.delay_ns) / 1e9;
            e["stratum"] = s.reply.stratum;
            e["refid"] = format_refid_text(s.reply);
            e["leap"] = static_cast<int>(s.reply.leap);
            e["agrees"] = r.agrees;
        } else {
            e["error"] = to_token(r.result.error().error);
            e["message"] = r.result.error().message;
            e["agrees"] = false;
        }
        if (!r.agrees) flagged.push_back(r.label);
        arr.push_back(std::move(e));
    }
    j["answered"] = v.answered;
    j["majority"] = v.majority;
    j["has_majority"] = v.has_majority;
    j["flagged"] = std::move(flagged);
    j["exit_code"] = static_cast<int>(code);
    j["error"] = nullptr;
    return j;
}

ExitCode run_monitor(const MonitorOptions& o, std::ostream& out, std::ostream& err) {
    std::vector<HostPort> servers;
    for (const std::string& s : o.servers) {
        auto hp = parse_host_port(s);
        if (!hp) {
            err << "ntpq-lite: bad server '" << s << "': " << hp.error() << "\n";
            return ExitCode::kUsage;
        }
        servers.push_back(*hp);
    }
    const auto timeout = std::chrono::nanoseconds(static_cast<int64_t>(o.timeout_s * 1e9));
    boost::asio::io_context io;
    std::vector<MonitorRow> rows;
    for (std::size_t i = 0; i < servers.size(); ++i) {
        MonitorRow row{o.servers[i], std::unexpected(SntpFailure{}), std::nullopt, true};
        auto addrs = resolve_server(servers[i], timeout);
        if (!addrs) {
            row.result = std::unexpected(addrs.error());
        } else {
            SntpClient client(io, std::move(*addrs));
            row.result = client.query(timeout);
        }
        rows.push_back(std::move(row));
    }
    const MonitorVerdict v = evaluate_monitor(rows, static_cast<int64_t>(o.tolerance_s * 1e9));
    const ExitCode code = monitor_exit_code(rows);
    if (o.json) {
        out << monitor_json(rows, v, o.tolerance_s, code).dump(2) << "\n";
    } else {
        out << format_monitor(rows, v);
    }
    return code;
}

}  // namespace ntplite::tools
