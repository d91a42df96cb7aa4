// The words monitoring uses for the system state and each source's state, in one place, so the
// status page, JSON, Prometheus, mode 6 and the logs say the same thing. Pure functions of a
// MonitorSnapshot.
#pragma once

#include <string>
#include <string_view>

#include "daemon/policy/monitor/control_snapshot.hpp"

namespace ntplite::daemon {

/// One machine word: "synchronized", "holdover", "local" or "unsynchronized".
std::string_view system_state_word(const MonitorSnapshot& m);
/// Why the system is not (or no longer) synchronized to a source, as a word ("no-sources",
/// "all-unreachable", ...); "none" while synchronized.
std::string_view system_reason_word(const MonitorSnapshot& m);
/// The sentence an admin reads first: "synchronized to 192.0.2.1 (stratum 2)",
/// "holdover since 2026-11-29T20:00:00Z, 3540 s left", "local fallback at stratum 10",
/// "unsynchronized because no source is reachable".
std::string system_state_text(const MonitorSnapshot& m);
/// The name of the system peer ("192.0.2.1:123"), empty when there is none.
std::string system_peer_name(const MonitorSnapshot& m);

/// A source's state word ("selected", "unreachable", "unresolved", ...).
std::string_view source_state_word(const SourceView& v);
/// What that state means for this source, in a few words ("no reply to its last 8 polls",
/// "kissed RATE: polled less often", "name does not resolve: ...").
std::string source_reason_text(const SourceView& v);

/// "2026-11-29T20:44:43Z" (UTC, seconds) for Unix ns.
std::string utc_text(int64_t unix_ns);

}  // namespace ntplite::daemon
