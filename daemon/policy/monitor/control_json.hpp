// The control socket's JSON snapshot (schema "ntpd-lite.snapshot/1"): system, every source and
// the server/control counters, from a MonitorSnapshot. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "daemon/policy/monitor/control_snapshot.hpp"

namespace ntplite::daemon {

inline constexpr std::string_view kSnapshotJsonSchema = "ntpd-lite.snapshot/1";

/// Times are Unix ns (integers) plus seconds/ms as floats where people read them.
nlohmann::ordered_json snapshot_json(const MonitorSnapshot& m);

/// The lower-case name of a kiss code ("RATE"), or "" for none.
std::string_view kiss_text(const std::optional<proto::KissCode>& k);

}  // namespace ntplite::daemon
