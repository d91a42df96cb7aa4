// Prometheus text exposition (format 0.0.4) of a MonitorSnapshot. Names follow the conventions:
// prefix ntpd_lite_, base units in the name (_seconds), counters end in _total, one HELP and
// TYPE line per family. Pure, so every line is checked in unit tests.
#pragma once

#include <string>
#include <string_view>

#include "daemon/policy/monitor/control_snapshot.hpp"

namespace ntplite::daemon {

/// The whole /metrics body.
std::string metrics_text(const MonitorSnapshot& m);

/// A label value escaped for the text format (\\, \" and \n).
std::string escape_label_value(std::string_view v);

}  // namespace ntplite::daemon
