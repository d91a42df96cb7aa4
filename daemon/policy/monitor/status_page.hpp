// The status page served at "/" by the metrics listener: one self-contained HTML document (inline
// CSS, inline SVG, no script, no external asset) with the system state, the sources and why each
// is or is not used, the server's counters, and charts of offset, jitter and frequency over the
// history window. A pure function of a MonitorSnapshot and the history, so it is unit-tested
// without a daemon and rendered by a browser in the system tests.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "daemon/policy/monitor/control_snapshot.hpp"
#include "daemon/policy/monitor/history.hpp"

namespace ntplite::daemon {

/// The whole page. `refresh_s` > 0 adds a <meta refresh> (the page reloads itself, no script).
std::string render_status_page(const MonitorSnapshot& m, std::span<const HistoryPoint> history,
                               int refresh_s = 30);

/// One chart as an <svg> element: the series scaled to its own range (so +0.25 ms and +500 ms
/// both fill the chart), min/max labels in `unit`-family units, time labels in UTC.
/// `id` becomes the svg's id; values are in the series' base unit (ns or ppm).
struct ChartSeries {
    std::string_view id;      ///< "chart-offset"
    std::string_view title;   ///< "Offset"
    bool nanoseconds = true;  ///< values are ns (shown in ns/µs/ms/s), else ppm
    bool with_sign = true;    ///< labels carry a sign (offsets) or not (jitter)
};
std::string render_chart(const ChartSeries& series, std::span<const int64_t> times_ns,
                         std::span<const double> values, int64_t now_ns);

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(std::string_view text);
/// A duration with a unit chosen like chrony (ns, µs, ms, s), signed ("+1.250 ms") for offsets
/// or plain ("1.250 ms") for magnitudes such as delay and jitter.
std::string duration_text(double ns, bool with_sign = true);

}  // namespace ntplite::daemon
