#include "tools/ntpq/daemon_format.hpp"

#include <fmt/format.h>

#include "tools/ntpq/format.hpp"

namespace ntplite::tools {
namespace {

std::string ms_column(const std::optional<double>& v) {
    return v ? fmt::format("{:8.3f}", *v) : std::string("       -");
}

std::string poll_text(int poll_log2) {
    if (poll_log2 >= 0) return pretty_interval(int64_t{1} << std::min(poll_log2, 40));
    return fmt::format("{:.2g}", 1.0 / static_cast<double>(int64_t{1} << std::min(-poll_log2, 30)));
}

nlohmann::ordered_json opt(const std::optional<double>& v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

const char* leap_text(int leap) {
    switch (leap) {
        case 0:
            return "none";
        case 1:
            return "insert second";
        case 2:
            return "delete second";
        default:
            return "unsynchronized";
    }
}

std::string source_name(const DaemonReport& r) {
    if (const PeerInfo* p = r.system_peer()) return p->remote;
    return {};
}

nlohmann::ordered_json header(std::string_view schema, const DaemonReport& r) {
    nlohmann::ordered_json j;
    j["schema"] = schema;
    j["host"] = r.host;
    j["time_utc"] = format_rfc3339_ns(r.now_unix_ns);
    return j;
}

}  // namespace

std::string pretty_interval(std::optional<int64_t> s) {
    if (!s) return "-";
    if (*s <= 2048) return std::to_string(*s);
    if (*s <= 300 * 60) return std::to_string((*s + 59) / 60) + "m";
    if (*s <= 96 * 3600) return std::to_string((*s + 3599) / 3600) + "h";
    return std::to_string((*s + 86399) / 86400) + "d";
}

std::string display_refid(std::string_view refid) {
    if (refid.find('.') != std::string_view::npos || refid.find(':') != std::string_view::npos) {
        return std::string(refid);
    }
    return "." + std::string(refid) + ".";
}

std::string format_peers_table(const DaemonReport& r) {
    std::string out =
        "     remote           refid      st t when poll reach   delay   offset   jitter\n"
        "===============================================================================\n";
    for (const PeerInfo& p : r.peers) {
        std::string remote = p.remote;
        out += p.tally();
        if (remote.size() > 16) {
            // Long names (IPv6, host names) get their own line, as `ntpq -w` prints them.
            out += remote + "\n ";
            remote.clear();
        }
        out += fmt::format("{:<16.16} {:<16.16} {:2} {} {:>4.4} {:>4.4}  {:3o} ", remote,
                           display_refid(p.refid), p.stratum, p.type, pretty_interval(p.when_s),
                           poll_text(p.poll_log2), p.reach);
        out += ms_column(p.delay_ms) + " " + ms_column(p.offset_ms) + " " + ms_column(p.jitter_ms) +
               "\n";
    }
    if (r.peers.empty()) out += "(no sources)\n";
    return out;
}

std::string format_status(const DaemonReport& r) {
    const SystemInfo& s = r.system;
    std::string out;
    auto row = [&out](const char* name, const std::string& value) {
        out += fmt::format("{:<16}: ", name) + value + "\n";
    };
    if (s.synchronized()) {
        row("Status", "synchronized");
    } else {
        row("Status", s.leap == 3 ? "not synchronized (leap indicator 3: clock never set or lost)"
                                  : fmt::format("not synchronized (stratum {})", s.stratum));
    }
    const std::string src = source_name(r);
    row("Reference ID", display_refid(s.refid) + (src.empty() ? "" : " (" + src + ")"));
    row("Source", format_source_line(r));
    row("Stratum", std::to_string(s.stratum) + (s.stratum >= 16 ? " (unsynchronized)" : ""));
    if (s.reftime_unix_ns) {
        const int64_t ago = (r.now_unix_ns - *s.reftime_unix_ns) / 1'000'000'000;
        row("Last update",
            format_rfc3339_ns(*s.reftime_unix_ns) + " (" + std::to_string(ago) + " s ago)");
    } else {
        row("Last update", "never");
    }
    if (s.offset_ms) {
        const char* side = *s.offset_ms > 0   ? " (local clock behind the source)"
                           : *s.offset_ms < 0 ? " (local clock ahead of the source)"
                                              : "";
        row("System offset", fmt::format("{:+.6f} ms{}", *s.offset_ms, side));
    }
    if (s.frequency_ppm) {
        const char* how = *s.frequency_ppm > 0   ? " (clock made faster)"
                          : *s.frequency_ppm < 0 ? " (clock made slower)"
                                                 : "";
        row("Frequency", fmt::format("{:+.3f} ppm{}", *s.frequency_ppm, how));
    }
    if (s.sys_jitter_ms) row("System jitter", fmt::format("{:.6f} ms", *s.sys_jitter_ms));
    if (s.root_delay_ms) row("Root delay", fmt::format("{:.6f} ms", *s.root_delay_ms));
    if (s.root_disp_ms) row("Root dispersion", fmt::format("{:.6f} ms", *s.root_disp_ms));
    row("Leap status", fmt::format("{} ({})", s.leap, leap_text(s.leap)));
    if (s.poll_log2)
        row("Poll interval", fmt::format("{} s (2^{})", poll_text(*s.poll_log2), *s.poll_log2));
    if (s.precision_log2) row("Precision", fmt::format("2^{} s", *s.precision_log2));
    if (!s.version.empty()) row("Daemon", s.version);
    return out;
}

std::string_view source_kind(const DaemonReport& r) {
    if (!r.system.synchronized()) return "none";
    if (r.system_peer()) return "ntp";
    return "local";
}

std::string format_source_line(const DaemonReport& r) {
    const SystemInfo& s = r.system;
    const std::string_view kind = source_kind(r);
    if (kind == "ntp") {
        const PeerInfo& p = *r.system_peer();
        return p.remote + fmt::format(" (stratum {}, refid {}", p.stratum, display_refid(p.refid)) +
               (p.offset_ms ? fmt::format(", offset {:+.3f} ms)", *p.offset_ms) : std::string(")"));
    }
    if (kind == "local") {
        return "Local clock (" + display_refid(s.refid) +
               fmt::format(", stratum {}): no network source selected", s.stratum);
    }
    return "Free-running System Clock (not synchronized)";
}

nlohmann::ordered_json peers_json(const DaemonReport& r) {
    nlohmann::ordered_json j = header(kPeersJsonSchema, r);
    j["system_status"] = r.system.status;
    j["synchronized"] = r.system.synchronized();
    auto& arr = j["peers"] = nlohmann::ordered_json::array();
    for (const PeerInfo& p : r.peers) {
        nlohmann::ordered_json e;
        e["association_id"] = p.association_id;
        e["status"] = p.status;
        e["tally"] = std::string(1, p.tally());
        e["state"] = p.state;
        e["remote"] = p.remote;
        e["refid"] = p.refid;
        e["stratum"] = p.stratum;
        e["type"] = std::string(1, p.type);
        e["when_s"] =
            p.when_s ? nlohmann::ordered_json(*p.when_s) : nlohmann::ordered_json(nullptr);
        e["poll_log2"] = p.poll_log2;
        e["reach"] = p.reach;
        e["reach_octal"] = fmt::format("{:o}", p.reach);
        e["delay_ms"] = opt(p.delay_ms);
        e["offset_ms"] = opt(p.offset_ms);
        e["jitter_ms"] = opt(p.jitter_ms);
        arr.push_back(std::move(e));
    }
    j["exit_code"] = 0;
    j["error"] = nullptr;
    return j;
}

nlohmann::ordered_json status_json(const DaemonReport& r) {
    const SystemInfo& s = r.system;
    nlohmann::ordered_json j = header(kStatusJsonSchema, r);
    j["synchronized"] = s.synchronized();
    j["system_status"] = s.status;
    j["leap"] = s.leap;
    j["leap_text"] = leap_text(s.leap);
    j["stratum"] = s.stratum;
    j["refid"] = s.refid;
    const PeerInfo* p = r.system_peer();
    j["source"] = p ? nlohmann::ordered_json(p->remote) : nlohmann::ordered_json(nullptr);
    j["source_association"] = p ? p->association_id : 0;
    j["source_kind"] = source_kind(r);
    j["offset_ms"] = opt(s.offset_ms);
    j["frequency_ppm"] = opt(s.frequency_ppm);
    j["sys_jitter_ms"] = opt(s.sys_jitter_ms);
    j["root_delay_ms"] = opt(s.root_delay_ms);
    j["root_dispersion_ms"] = opt(s.root_disp_ms);
    j["last_update_utc"] = s.reftime_unix_ns
                               ? nlohmann::ordered_json(format_rfc3339_ns(*s.reftime_unix_ns))
                               : nlohmann::ordered_json(nullptr);
    j["last_update_unix_ns"] = s.reftime_unix_ns ? nlohmann::ordered_json(*s.reftime_unix_ns)
                                                 : nlohmann::ordered_json(nullptr);
    j["poll_log2"] =
        s.poll_log2 ? nlohmann::ordered_json(*s.poll_log2) : nlohmann::ordered_json(nullptr);
    j["precision_log2"] = s.precision_log2 ? nlohmann::ordered_json(*s.precision_log2)
                                           : nlohmann::ordered_json(nullptr);
    j["version"] = s.version;
    j["exit_code"] = s.synchronized() ? 0 : static_cast<int>(ExitCode::kUnsynchronized);
    j["error"] = nullptr;
    return j;
}

nlohmann::ordered_json source_json(const DaemonReport& r) {
    nlohmann::ordered_json j = header(kSourceJsonSchema, r);
    j["synchronized"] = r.system.synchronized();
    j["kind"] = source_kind(r);
    const PeerInfo* p = r.system_peer();
    j["source"] = p && source_kind(r) == "ntp" ? nlohmann::ordered_json(p->remote)
                                               : nlohmann::ordered_json(nullptr);
    j["stratum"] = r.system.stratum;
    j["refid"] = r.system.refid;
    j["line"] = format_source_line(r);
    j["exit_code"] = r.system.synchronized() ? 0 : static_cast<int>(ExitCode::kUnsynchronized);
    j["error"] = nullptr;
    return j;
}

nlohmann::ordered_json failure_json(std::string_view schema, std::string_view host, ExitCode code,
                                    std::string_view error_code, std::string_view message) {
    nlohmann::ordered_json j;
    j["schema"] = schema;
    j["host"] = host;
    j["exit_code"] = static_cast<int>(code);
    j["error"] = {{"code", error_code}, {"message", message}};
    return j;
}

}  // namespace ntplite::tools
