// The control socket's JSON snapshot (schema "ntpd-lite.snapshot/1"): system, every source and
// the server/control counters, from a MonitorSnapshot. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include <span>

#include "daemon/policy/monitor/control_snapshot.hpp"
#include "daemon/policy/server/client_table.hpp"

namespace ntplite::daemon {

inline constexpr std::string_view kSnapshotJsonSchema = "ntpd-lite.snapshot/1";
inline constexpr std::string_view kClientsJsonSchema = "ntpd-lite.clients/1";

/// A source's authentication as JSON: kind ("none"/"key"/"nts"), key_id, counters, the last
/// failure's reason and time, and the NTS state (null unless kind is "nts").
nlohmann::ordered_json auth_json(const auth::AuthStatus& a);
/// The NTS-KE server's counters (failures by kind), its newest master key (id in hex) and age.
nlohmann::ordered_json nts_ke_server_json(const NtsKeServerTotals& t, int64_t now_unix_ns);
/// Times are Unix ns (integers) plus seconds/ms as floats where people read them.
nlohmann::ordered_json snapshot_json(const MonitorSnapshot& m);

/// The "clients" answer: every record (already merged and sorted) with its age relative to
/// `now_mono_ns` (CLOCK_MONOTONIC), plus how many slots the tables have and evictions so far.
nlohmann::ordered_json clients_json(std::span<const ClientRecord> clients, int64_t now_mono_ns,
                                    std::size_t table_slots, uint64_t evictions);

/// The lower-case name of a kiss code ("RATE"), or "" for none.
std::string_view kiss_text(const std::optional<proto::KissCode>& k);

}  // namespace ntplite::daemon
