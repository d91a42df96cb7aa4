#include "daemon/policy/monitor/control_json.hpp"

#include <fmt/format.h>

#include "daemon/policy/monitor/control_mode6.hpp"
#include "daemon/policy/monitor/status_text.hpp"

namespace ntplite::daemon {

std::string_view kiss_text(const std::optional<proto::KissCode>& k) {
    return k ? proto::kiss_name(*k) : std::string_view{};
}

nlohmann::ordered_json auth_json(const auth::AuthStatus& a) {
    using J = nlohmann::ordered_json;
    J j;
    j["kind"] = auth::to_string(a.kind);
    j["key_id"] = a.kind == auth::AuthKind::kKey ? J(a.key_id) : J(nullptr);
    j["authenticated"] = a.authenticated;
    j["failures"] = a.failures;
    j["last_failure"] = a.last_failure == auth::AuthFailure::kNone
                            ? J(nullptr)
                            : J(auth::to_string(a.last_failure));
    j["last_failure_unix_ns"] = a.last_failure_time_ns ? J(a.last_failure_time_ns) : J(nullptr);
    if (a.kind == auth::AuthKind::kNts) {
        J failures = J::object();
        for (std::size_t i = 0; i < a.nts.ke_failures.size(); ++i)
            failures[std::string(proto::nts::to_string(static_cast<proto::nts::KeFailure>(i)))] =
                a.nts.ke_failures[i];
        j["nts"] = {{"cookies", a.nts.cookies},
                    {"ke_state", a.nts.ke_state},
                    {"ke_error", a.nts.ke_error.empty() ? J(nullptr) : J(a.nts.ke_error)},
                    {"ke_exchanges", a.nts.ke_exchanges},
                    {"ke_failures", std::move(failures)}};
    } else {
        j["nts"] = nullptr;
    }
    return j;
}

nlohmann::ordered_json nts_ke_server_json(const NtsKeServerTotals& t, int64_t now_unix_ns) {
    using J = nlohmann::ordered_json;
    J failures = J::object();
    for (std::size_t i = 0; i < t.failures.size(); ++i)
        failures[std::string(proto::nts::to_string(static_cast<proto::nts::KeServerFailure>(i)))] =
            t.failures[i];
    return {{"accepted", t.accepted},
            {"accept_errors", t.accept_errors},
            {"handshakes", t.handshakes},
            {"sessions", t.sessions},
            {"cookies_issued", t.cookies_issued},
            {"failures_total", t.failures_total()},
            {"failures", std::move(failures)},
            {"key_rotations", t.key_rotations},
            {"key_id", fmt::format("{:08x}", t.key_id)},
            {"key_age_s", nts_key_age_s(t, now_unix_ns)}};
}

nlohmann::ordered_json snapshot_json(const MonitorSnapshot& m) {
    using J = nlohmann::ordered_json;
    const SystemSnapshot& s = m.system;
    J j;
    j["schema"] = kSnapshotJsonSchema;
    j["ok"] = true;
    j["time_unix_ns"] = s.now_unix_ns;
    J sys;
    sys["synchronized"] = s.synchronized;
    sys["state"] = system_state_word(m);
    sys["reason"] =
        s.status.reason == clock::UnsyncReason::kNone ? J(nullptr) : J(system_reason_word(m));
    sys["state_text"] = system_state_text(m);
    sys["since_unix_ns"] = s.status.since_ns ? J(s.status.since_ns) : J(nullptr);
    sys["holdover_left_ns"] =
        s.status.state == clock::SyncState::kHoldover
            ? (s.status.holdover_left_ns < 0 ? J(nullptr) : J(s.status.holdover_left_ns))
            : J(nullptr);
    sys["observe_only"] = s.observe_only;
    sys["leap"] = static_cast<int>(s.state.leap);
    sys["stratum"] = s.state.stratum;
    sys["refid"] = refid_text(s.state.refid, s.state.stratum);
    sys["refid_raw"] = s.state.refid;
    sys["precision_log2"] = s.state.precision_log2;
    sys["root_delay_ns"] = s.state.root_delay.to_ns();
    sys["root_dispersion_ns"] = s.state.root_dispersion.to_ns();
    sys["reference_time_unix_ns"] = s.state.reference_time.is_zero()
                                        ? J(nullptr)
                                        : J(s.state.reference_time.to_unix_ns(s.now_unix_ns));
    sys["offset_ns"] = s.last_update_unix_ns ? J(s.offset_ns) : J(nullptr);
    sys["frequency_ppm"] = s.frequency_ppm;
    sys["sys_jitter_ns"] = s.sys_jitter_ns;
    sys["clk_jitter_ns"] = s.clk_jitter_ns;
    sys["poll_log2"] = s.poll_log2;
    sys["last_update_unix_ns"] = s.last_update_unix_ns ? J(s.last_update_unix_ns) : J(nullptr);
    sys["system_peer"] = s.system_peer ? J(association_id(*s.system_peer)) : J(nullptr);
    sys["version"] = s.version;
    j["system"] = std::move(sys);
    J sources = J::array();
    for (const SourceView& v : m.sources) {
        const clock::SourceSnapshot& x = v.snap;
        J e;
        e["association_id"] = association_id(x.id);
        e["name"] = x.name;
        e["address"] = v.address;
        e["port"] = v.port;
        e["state"] = source_state_word(v);
        e["reason"] = source_reason_text(v);
        e["selected"] = x.state == clock::SourceState::kSelected;
        e["prefer"] = x.prefer;
        e["stratum"] = x.stratum;
        e["refid"] = refid_text(x.refid, x.stratum);
        e["reach"] = x.reach;
        e["poll_log2"] = x.poll_log2;
        // Absent until the source has a sample: null, never a made-up 0.
        const bool sampled = x.has_sample;
        e["offset_ns"] = sampled ? J(x.offset_ns) : J(nullptr);
        e["delay_ns"] = sampled ? J(x.delay_ns) : J(nullptr);
        e["jitter_ns"] = sampled ? J(x.jitter_ns) : J(nullptr);
        e["root_distance_ns"] = sampled ? J(x.root_distance_ns) : J(nullptr);
        e["root_delay_ns"] = v.root_delay_ns;
        e["root_dispersion_ns"] = v.root_dispersion_ns;
        e["last_sample_unix_ns"] = sampled ? J(x.last_sample_time_ns) : J(nullptr);
        e["kiss"] = x.kiss ? J(kiss_text(x.kiss)) : J(nullptr);
        e["unresolved_error"] = v.unresolved_error.empty() ? J(nullptr) : J(v.unresolved_error);
        e["last_reply_unix_ns"] = x.last_reply_time_ns ? J(x.last_reply_time_ns) : J(nullptr);
        e["last_kiss"] = x.last_kiss ? J(kiss_text(x.last_kiss)) : J(nullptr);
        e["last_kiss_unix_ns"] = x.last_kiss ? J(x.last_kiss_time_ns) : J(nullptr);
        e["requests_sent"] = v.requests_sent;
        e["auth"] = auth_json(x.auth);
        sources.push_back(std::move(e));
    }
    j["sources"] = std::move(sources);
    const CounterTotals& c = m.server;
    j["server"] = {{"received", c.received},
                   {"answered", c.answered},
                   {"kod_rate", c.kod_rate},
                   {"rate_limited", c.rate_limited},
                   {"leaked", c.leaked},
                   {"dropped_malformed", c.dropped_malformed},
                   {"dropped_denied", c.dropped_denied},
                   {"dropped_control", c.dropped_control},
                   {"dropped_not_client", c.dropped_not_client},
                   {"dropped_rate", c.dropped_rate},
                   {"send_errors", c.send_errors},
                   {"auth_replies", c.auth_replies},
                   {"auth_unknown_key", c.auth_unknown_key},
                   {"auth_bad_mac", c.auth_bad_mac},
                   {"auth_malformed", c.auth_malformed},
                   {"auth_unsupported", c.auth_unsupported},
                   {"auth_nts_nak", c.auth_nts_nak}};
    j["nts_ke_server"] =
        m.nts_server ? nts_ke_server_json(*m.nts_server, s.now_unix_ns) : J(nullptr);
    j["control"] = {{"answered", m.control.answered},
                    {"denied", m.control.denied},
                    {"malformed", m.control.malformed},
                    {"overloaded", m.control.overloaded},
                    {"fragments_sent", m.control.fragments_sent}};
    return j;
}

nlohmann::ordered_json clients_json(std::span<const ClientRecord> clients, int64_t now_mono_ns,
                                    std::size_t table_slots, uint64_t evictions) {
    using J = nlohmann::ordered_json;
    J j;
    j["schema"] = kClientsJsonSchema;
    j["ok"] = true;
    j["table_slots"] = table_slots;
    j["evictions"] = evictions;
    J arr = J::array();
    for (const ClientRecord& c : clients) {
        J e;
        e["address"] = c.address.to_string();
        e["requests"] = c.requests;
        e["answered"] = c.requests - c.dropped - c.kod;
        e["dropped"] = c.dropped;
        e["kod"] = c.kod;
        e["last_seen_ago_ns"] = std::max<int64_t>(0, now_mono_ns - c.last_seen_mono_ns);
        e["first_seen_ago_ns"] = std::max<int64_t>(0, now_mono_ns - c.first_seen_mono_ns);
        arr.push_back(std::move(e));
    }
    j["clients"] = std::move(arr);
    return j;
}

}  // namespace ntplite::daemon
