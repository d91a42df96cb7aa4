#include "daemon/policy/monitor/status_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "daemon/policy/monitor/control_mode6.hpp"
#include "daemon/policy/monitor/status_text.hpp"

namespace ntplite::daemon {
namespace {

// Chart geometry (SVG user units): plot area inside margins for the labels.
constexpr double kWidth = 640, kHeight = 170;
constexpr double kLeft = 70, kRight = 10, kTop = 22, kBottom = 22;

std::string value_text(double v, bool ns, bool with_sign) {
    return ns ? duration_text(v, with_sign) : fmt::format("{:+.3f} ppm", v);
}

const char* kStyle =
    R"(body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.2em 0 .4em}
.state{font-size:1.2em;padding:.5em .8em;border-radius:4px;display:inline-block}
.synchronized{background:#d8f0d8}.holdover{background:#fbeec8}.local{background:#e2e6f8}
.unsynchronized{background:#f6d5d5}
table{border-collapse:collapse;background:#fff}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;
text-align:right;font-variant-numeric:tabular-nums}th{background:#eee}td.l,th.l{text-align:left}
td{white-space:nowrap}td.reason{white-space:normal;min-width:14em}
.charts svg{background:#fff;border:1px solid #ddd;margin:.3em .6em .3em 0}
.series{fill:none;stroke:#1f5fbf;stroke-width:1.5}.axis{stroke:#999;stroke-width:1}
.zero{stroke:#bbb;stroke-dasharray:4 3}text{font:11px system-ui,sans-serif;fill:#444}
.muted{color:#777})";

/// A refid as ntpq's peers table shows it: addresses as they are, codes as ".GPS.".
std::string refid_display(uint32_t refid, uint8_t stratum) {
    const std::string t = refid_text(refid, stratum);
    if (t.find('.') != std::string::npos || t.find(':') != std::string::npos) return t;
    return "." + t + ".";
}

std::string row(std::string_view name, const std::string& value) {
    return fmt::format("<tr><th class=\"l\">{}</th><td class=\"l\">{}</td></tr>\n", name,
                       html_escape(value));
}

std::string system_section(const MonitorSnapshot& m) {
    const SystemSnapshot& s = m.system;
    std::string out;
    out += fmt::format("<p id=\"state\" class=\"state {}\">{}</p>\n", system_state_word(m),
                       html_escape(system_state_text(m)));
    out += "<table id=\"system\">\n";
    out += row("Stratum", std::to_string(s.state.stratum));
    out += row("Reference ID", refid_display(s.state.refid, s.state.stratum));
    out += row("Last update",
               s.last_update_unix_ns ? utc_text(s.last_update_unix_ns) : std::string("never"));
    out += row("Offset", s.last_update_unix_ns ? duration_text(static_cast<double>(s.offset_ns))
                                               : std::string("-"));
    out += row("Frequency", fmt::format("{:+.3f} ppm", s.frequency_ppm));
    out += row("System jitter", duration_text(static_cast<double>(s.sys_jitter_ns), false));
    out += row("Root delay", duration_text(static_cast<double>(s.state.root_delay.to_ns()), false));
    out += row("Root dispersion",
               duration_text(static_cast<double>(s.state.root_dispersion.to_ns()), false));
    out += row("Daemon", s.version);
    out += "</table>\n";
    return out;
}

std::string sources_section(const MonitorSnapshot& m) {
    std::string out =
        "<table id=\"peers\">\n<thead><tr><th class=\"l\">Source</th><th class=\"l\">State</th>"
        "<th class=\"l\">Reason</th><th>St</th><th class=\"l\">Refid</th><th>Reach</th>"
        "<th>Poll</th><th>Offset</th><th>Delay</th><th>Jitter</th></tr></thead>\n<tbody>\n";
    for (const SourceView& v : m.sources) {
        const clock::SourceSnapshot& x = v.snap;
        const bool sampled = x.has_sample;
        auto dur = [sampled](int64_t ns, bool with_sign) {
            return sampled ? duration_text(static_cast<double>(ns), with_sign) : std::string("-");
        };
        out += fmt::format(
            "<tr class=\"source {0}\"><td class=\"l\">{1}</td><td class=\"l\">{0}</td>"
            "<td class=\"l reason\">{2}</td><td>{3}</td><td class=\"l\">{4}</td><td>{5:03o}</td>"
            "<td>{6} s</td><td>{7}</td><td>{8}</td><td>{9}</td></tr>\n",
            source_state_word(v), html_escape(x.name), html_escape(source_reason_text(v)),
            x.stratum, html_escape(refid_display(x.refid, x.stratum)), x.reach,
            x.poll_log2 >= 0 ? (int64_t{1} << std::min<int>(x.poll_log2, 40)) : 0,
            dur(x.offset_ns, true), dur(x.delay_ns, false), dur(x.jitter_ns, false));
    }
    out += "</tbody>\n</table>\n";
    if (m.sources.empty()) out += "<p class=\"muted\">No sources configured.</p>\n";
    return out;
}

std::string counters_section(const MonitorSnapshot& m) {
    const CounterTotals& c = m.server;
    std::string out = "<table id=\"server\">\n";
    auto n = [&out](std::string_view name, uint64_t v) {
        out += fmt::format("<tr><th class=\"l\">{}</th><td>{}</td></tr>\n", name, v);
    };
    n("Requests received", c.received);
    n("Answered", c.answered);
    n("KoD RATE sent", c.kod_rate);
    n("Rate limited", c.rate_limited);
    n("Dropped (rate)", c.dropped_rate);
    n("Dropped (access denied)", c.dropped_denied);
    n("Dropped (malformed)", c.dropped_malformed);
    n("Dropped (not a client)", c.dropped_not_client);
    n("Authenticated replies", c.auth_replies);
    n("Dropped (authentication)",
      c.auth_unknown_key + c.auth_bad_mac + c.auth_malformed + c.auth_unsupported);
    n("NTS NAKs sent", c.auth_nts_nak);
    if (m.nts_server) {
        const NtsKeServerTotals& k = *m.nts_server;
        n("NTS-KE handshakes", k.handshakes);
        n("NTS-KE cookies issued", k.cookies_issued);
        n("NTS-KE failures", k.failures_total());
    }
    n("Mode 6 answered", m.control.answered);
    out += "</table>\n";
    return out;
}

std::string charts_section(std::span<const HistoryPoint> h, int64_t now_ns) {
    std::vector<int64_t> t;
    std::vector<double> off, jit, freq;
    for (const HistoryPoint& p : h) {
        t.push_back(p.time_ns);
        off.push_back(static_cast<double>(p.offset_ns));
        jit.push_back(static_cast<double>(p.jitter_ns));
        freq.push_back(p.frequency_ppm);
    }
    std::string out = "<div class=\"charts\">\n";
    out += render_chart({"chart-offset", "Offset", true}, t, off, now_ns);
    out += render_chart({"chart-jitter", "Jitter", true, false}, t, jit, now_ns);
    out += render_chart({"chart-frequency", "Frequency", false}, t, freq, now_ns);
    out += "</div>\n";
    if (h.empty()) out += "<p class=\"muted\">No clock update yet: the charts are empty.</p>\n";
    return out;
}

/// "20:59Z", or "20:59:07Z" when the chart spans less than an hour.
std::string clock_label(int64_t unix_ns, int64_t span_ns) {
    const std::string u = utc_text(unix_ns);  // YYYY-MM-DDTHH:MM:SSZ
    return u.substr(11, span_ns < int64_t{3600} * 1'000'000'000 ? 8 : 5) + "Z";
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string duration_text(double ns, bool with_sign) {
    const double a = std::fabs(ns);
    const char* sign = !with_sign ? (ns < 0 ? "-" : "") : (ns < 0 ? "-" : "+");
    if (a < 1e3) return fmt::format("{}{:.0f} ns", sign, a);
    if (a < 1e6) return fmt::format("{}{:.3f} \u00b5s", sign, a / 1e3);
    if (a < 1e9) return fmt::format("{}{:.3f} ms", sign, a / 1e6);
    return fmt::format("{}{:.3f} s", sign, a / 1e9);
}

std::string render_chart(const ChartSeries& series, std::span<const int64_t> times_ns,
                         std::span<const double> values, int64_t now_ns) {
    std::string out = fmt::format(
        "<svg id=\"{}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
        "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">\n<text x=\"{}\" y=\"14\">{}</text>\n",
        series.id, kWidth, kHeight, kWidth, kHeight, kLeft, series.title);
    const double x0 = kLeft, x1 = kWidth - kRight, y0 = kTop, y1 = kHeight - kBottom;
    out += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", x0, y1,
                       x1, y1);
    out += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", x0, y0,
                       x0, y1);
    const std::size_t n = std::min(times_ns.size(), values.size());
    if (n == 0) return out + "</svg>\n";
    // Scale to what is shown: the values' own range (padded), the time from the oldest point.
    double lo = *std::min_element(values.begin(), values.begin() + static_cast<long>(n));
    double hi = *std::max_element(values.begin(), values.begin() + static_cast<long>(n));
    if (hi - lo < 1e-9 * std::max(1.0, std::fabs(hi))) {
        const double pad = std::max(std::fabs(hi) * 0.1, series.nanoseconds ? 1000.0 : 0.001);
        lo -= pad;
        hi += pad;
    } else {
        const double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
    }
    // Magnitudes (jitter) never go below zero, whatever the padding says.
    if (!series.with_sign && lo < 0) lo = 0;
    const int64_t t_first = times_ns[0];
    const int64_t t_last = std::max(now_ns, times_ns[n - 1]);
    const double span = static_cast<double>(std::max<int64_t>(t_last - t_first, 1));
    auto x = [&](int64_t t) { return x0 + (x1 - x0) * static_cast<double>(t - t_first) / span; };
    auto y = [&](double v) { return y1 - (y1 - y0) * (v - lo) / (hi - lo); };
    if (lo < 0 && hi > 0) {
        out +=
            fmt::format("<line class=\"zero\" x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\"/>\n",
                        x0, y(0), x1, y(0));
    }
    std::string d;
    for (std::size_t i = 0; i < n; ++i) {
        d += fmt::format("{}{:.1f} {:.1f}", i == 0 ? "M" : " L", x(times_ns[i]), y(values[i]));
    }
    if (n == 1) d += fmt::format(" L{:.1f} {:.1f}", x(t_last), y(values[0]));  // a visible stub
    out += fmt::format("<path class=\"series\" d=\"{}\"/>\n", d);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", x0 - 4, y0 + 4,
                       html_escape(value_text(hi, series.nanoseconds, series.with_sign)));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", x0 - 4, y1,
                       html_escape(value_text(lo, series.nanoseconds, series.with_sign)));
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", x0, kHeight - 6,
                       clock_label(t_first, t_last - t_first));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", x1, kHeight - 6,
                       clock_label(t_last, t_last - t_first));
    return out + "</svg>\n";
}

std::string render_status_page(const MonitorSnapshot& m, std::span<const HistoryPoint> history,
                               int refresh_s) {
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    if (refresh_s > 0)
        out += fmt::format("<meta http-equiv=\"refresh\" content=\"{}\">\n", refresh_s);
    out += "<title>ntpd-lite status</title>\n<style>";
    out += kStyle;
    out += "</style>\n</head>\n<body>\n<h1>ntpd-lite</h1>\n";
    out += fmt::format("<p class=\"muted\">as of {}</p>\n", utc_text(m.system.now_unix_ns));
    out += system_section(m);
    out += "<h2>Sources</h2>\n" + sources_section(m);
    out += "<h2>Last 24 h</h2>\n" + charts_section(history, m.system.now_unix_ns);
    out += "<h2>Server</h2>\n" + counters_section(m);
    out +=
        "<p class=\"muted\">Also: <a href=\"/metrics\">/metrics</a> (Prometheus), "
        "<a href=\"/api/snapshot\">/api/snapshot</a> (JSON)</p>\n</body>\n</html>\n";
    return out;
}

}  // namespace ntplite::daemon
