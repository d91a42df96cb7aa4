#include "tools/ntpq/daemon_format.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "tools/ntpq/format.hpp"
#include "tools/ntpq/text_wrap.hpp"

namespace ntplite::tools {
namespace {

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

/// "1 tls handshake, 2 alpn" from per-kind counts (zeros left out).
std::string kinds_text(const std::vector<std::pair<std::string, int64_t>>& counts) {
    std::string out;
    for (const auto& [kind, n] : counts) {
        if (n == 0) continue;
        std::string words = kind;
        std::ranges::replace(words, '_', ' ');
        out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, words);
    }
    return out;
}

}  // namespace

std::string peer_auth_line(const PeerInfo& p) {
    std::string out = p.auth == "key"   ? "key " + std::to_string(p.keyid)
                      : p.auth == "nts" ? fmt::format("NTS, {} cookie{} left", p.nts_cookies,
                                                      p.nts_cookies == 1 ? "" : "s")
                                        : std::string("none");
    if (p.auth_fail > 0)
        out += fmt::format("; {} refused, last {}", p.auth_fail,
                           p.auth_last.empty() ? "?" : p.auth_last);
    if (p.auth == "nts") {
        if (const std::string failed = kinds_text(parse_kind_counts(p.ntske_fail)); !failed.empty())
            out += "; NTS-KE failed: " + failed;
    }
    return out;
}

std::string server_auth_line(const SystemInfo& s) {
    if (!s.auth_replies) return {};
    std::string out = fmt::format("{} authenticated replies", *s.auth_replies);
    const std::string dropped = kinds_text(s.auth_drops);
    out += dropped.empty() ? ", none dropped" : ", dropped " + dropped;
    if (s.nts_naks > 0) out += fmt::format(", {} NTS NAKs", s.nts_naks);
    return out;
}

std::string nts_ke_server_line(const SystemInfo& s) {
    if (!s.ntske) return {};
    std::string out =
        fmt::format("{} handshakes, {} with cookies ({} issued), {} failed", s.ntske_handshakes,
                    s.ntske_sessions, s.ntske_cookies, s.ntske_failures);
    if (const std::string kinds = kinds_text(parse_kind_counts(s.ntske_fail)); !kinds.empty())
        out += ": " + kinds;
    return out;
}

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
    // Built by append rather than "." + std::string(...): g++ 12 at -O3 reports a false
    // -Wrestrict overlap inside the inlined operator+ (GCC PR 105329).
    std::string out;
    out.reserve(refid.size() + 2);
    out += '.';
    out += refid;
    out += '.';
    return out;
}

std::string fit_ms(const std::optional<double>& v, int width, bool with_sign) {
    if (!v) return fmt::format("{:>{}}", "-", width);
    // Three decimals like ntpq; fewer when the value would not fit its column.
    for (int decimals = 3; decimals >= 0; --decimals) {
        std::string t = with_sign ? fmt::format("{:+{}.{}f}", *v, width, decimals)
                                  : fmt::format("{:{}.{}f}", *v, width, decimals);
        if (static_cast<int>(t.size()) <= width) return t;
    }
    return with_sign ? fmt::format("{:+{}.0f}", *v, width) : fmt::format("{:{}.0f}", *v, width);
}

namespace {

/// ntpsec ntpq's column widths and header: 79 characters in all, numbers right-aligned under
/// their headers (ntpq itself prints reach one column left of its header; we do not).
constexpr int kRemoteWidth = 15, kRefidWidth = 15;

/// The remote column: names longer than the column get a line of their own (like `ntpq -w`).
std::string remote_cell(const PeerInfo& p) {
    std::string out(1, p.tally());
    if (static_cast<int>(p.remote.size()) > kRemoteWidth)
        return out + p.remote + "\n" + std::string(kRemoteWidth + 1, ' ');
    return out + fmt::format("{:<{}}", p.remote, kRemoteWidth);
}

}  // namespace

std::string_view peers_legend() {
    return "Tally (first column): * system peer  + candidate (combined)  - outlier\n"
           "  x falseticker  . excess  # backup  o PPS peer  blank: not used (see state)\n"
           "refid: the source's reference; .RATE./.DENY. while it sends Kiss-o'-Death\n"
           "st: stratum (16: unsynchronized or no reply yet)  t: u server, l local clock\n"
           "when: s since its last reply  poll: s between polls\n"
           "reach: its last 8 polls in octal (377: all answered, 0: none)\n"
           "delay, offset, jitter: ms; offset > 0: the local clock is behind the source\n"
           "State: selected, candidate, outlier, falseticker (outside the majority),\n"
           "  too-far (root distance), unsynchronized (source has no time), time-loop\n"
           "  (it follows us), noselect, rate-limited/denied (kissed), unreachable,\n"
           "  no-sample (no reply yet), unresolved (its name did not resolve)\n"
           "auth (after the reason): key N (symmetric key) or NTS with its cookies left;\n"
           "  replies refused by authentication and the last reason (bad-mac, nts-nak,\n"
           "  unauthenticated...); for NTS, failed key exchanges by kind\n\n";
}

std::string state_sentence(const DaemonReport& r) {
    const SystemInfo& s = r.system;
    if (!s.sync_text.empty()) return s.sync_text;
    const std::string st = sync_state_of(r);
    if (st == "synchronized") {
        return "synchronized to " + r.system_peer()->remote +
               fmt::format(" (stratum {})", s.stratum);
    }
    if (st == "local") return fmt::format("local fallback at stratum {}", s.stratum);
    if (st == "holdover")
        return fmt::format("holdover at stratum {} (no source selected)", s.stratum);
    return s.leap == 3 ? "unsynchronized: leap indicator 3 (clock never set or lost)"
                       : fmt::format("unsynchronized: stratum {}", s.stratum);
}

std::string format_peers_table(const DaemonReport& r, bool verbose) {
    std::string out = wrap_text(r.host + ": " + state_sentence(r), kTextWidth, "    ");
    if (verbose) out += peers_legend();
    out += fmt::format("{:<{}} {:<{}} {:>2} {} {:>4} {:>4} {:>5} {:>7} {:>8} {:>8}\n",
                       "     remote", kRemoteWidth + 1, "     refid", kRefidWidth, "st", "t",
                       "when", "poll", "reach", "delay", "offset", "jitter");
    out += std::string(79, '=') + "\n";
    for (const PeerInfo& p : r.peers) {
        out += remote_cell(p);
        out += fmt::format(" {:<{}.{}} {:>2} {} {:>4.4} {:>4.4} {:>5o} ", display_refid(p.refid),
                           kRefidWidth, kRefidWidth, p.stratum, p.type, pretty_interval(p.when_s),
                           poll_text(p.poll_log2), p.reach);
        out += fit_ms(p.delay_ms, 7) + " " + fit_ms(p.offset_ms, 8) + " " + fit_ms(p.jitter_ms, 8) +
               "\n";
    }
    if (r.peers.empty()) {
        out += "(no sources)\n";
        return out;
    }
    // chrony's `sources -v`/`selectdata` in ntpq's shape: why each source is (not) used.
    out += fmt::format("\n{:<{}} {:<14} {}\n", "     remote", kRemoteWidth + 1, "state", "reason");
    for (const PeerInfo& p : r.peers) {
        std::string reason = p.reason;
        if (reason.empty() && !p.kiss.empty()) reason = "kissed " + p.kiss;
        // Authenticated sources say so (plain ones add nothing): method, and what was refused.
        if (const std::string a = p.auth_text(); !a.empty()) {
            std::string tail = "auth " + a;
            // NTS: cookies left and failed key exchanges too (what `status` shows for the peer).
            if (p.auth == "nts")
                tail = "auth " + peer_auth_line(p);
            else if (p.auth_fail > 0)
                tail += fmt::format(": {} refused, last {}", p.auth_fail,
                                    p.auth_last.empty() ? "?" : p.auth_last);
            reason = reason.empty() ? tail : reason + "; " + tail;
        }
        const std::string head = remote_cell(p) + fmt::format(" {:<14} ", p.state);
        const std::size_t used =
            head.size() - (head.rfind('\n') == std::string::npos ? 0 : head.rfind('\n') + 1);
        out += head +
               wrap_text(reason.empty() ? "-" : reason, kTextWidth, std::string(used, ' '), used);
    }
    return out;
}

std::string format_status(const DaemonReport& r) {
    const SystemInfo& s = r.system;
    std::string out;
    // Values wrap under themselves at 79 columns (long host names, reasons).
    auto row = [&out](const char* name, const std::string& value) {
        out += wrap_row(name, value, 16);
    };
    const std::string state = sync_state_of(r);
    row("Status", state_sentence(r));
    if (s.since_unix_ns) row("State since", format_rfc3339_ns(*s.since_unix_ns));
    if (state == "holdover" && s.holdover_left_s) {
        row("Holdover left", *s.holdover_left_s < 0
                                 ? std::string("until the root distance is too large")
                                 : fmt::format("{:.0f} s", *s.holdover_left_s));
    }
    const std::string src = source_name(r);
    row("Reference ID", display_refid(s.refid) + (src.empty() ? "" : " (" + src + ")"));
    row("Source", format_source_line(r));
    // ntpd-lite only (other daemons send no "auth"): how the source in use is authenticated.
    if (const PeerInfo* p = r.system_peer(); p && !p->auth.empty())
        row("Authentication", peer_auth_line(*p));
    row("Stratum", std::to_string(s.stratum) + (s.stratum >= 16 ? " (unsynchronized)" : ""));
    if (state == "local") {
        row("Last update", "none from a source (the local clock is the reference)");
    } else if (s.reftime_unix_ns) {
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
    if (const std::string line = server_auth_line(s); !line.empty()) row("Server auth", line);
    if (const std::string line = nts_ke_server_line(s); !line.empty()) row("NTS-KE server", line);
    return out;
}

std::string_view source_kind(const DaemonReport& r) {
    const std::string st = sync_state_of(r);
    if (st == "synchronized" && r.system_peer()) return "ntp";
    if (st == "local") return "local";
    if (st == "holdover") return "holdover";
    return "none";
}

ExitCode exit_code_for_state(const DaemonReport& r) {
    const std::string st = sync_state_of(r);
    if (st == "synchronized") return ExitCode::kOk;
    if (st == "holdover") return ExitCode::kHoldover;
    if (st == "local") return ExitCode::kLocalFallback;
    return ExitCode::kUnsynchronized;
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
    if (kind == "holdover") {
        // Short: the status block already has the since/left details.
        return s.holdover_left_s && *s.holdover_left_s >= 0
                   ? fmt::format("Holdover: no source selected, {:.0f} s left", *s.holdover_left_s)
                   : std::string("Holdover: no source selected");
    }
    return "Free-running System Clock (" + state_sentence(r) + ")";
}

nlohmann::ordered_json peers_json(const DaemonReport& r) {
    nlohmann::ordered_json j = header(kPeersJsonSchema, r);
    j["system_status"] = r.system.status;
    j["synchronized"] = r.system.synchronized();
    j["state"] = sync_state_of(r);
    j["state_text"] = state_sentence(r);
    auto& arr = j["peers"] = nlohmann::ordered_json::array();
    for (const PeerInfo& p : r.peers) {
        nlohmann::ordered_json e;
        e["association_id"] = p.association_id;
        e["status"] = p.status;
        e["tally"] = std::string(1, p.tally());
        e["state"] = p.state;
        e["reason"] =
            p.reason.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.reason);
        e["kiss"] =
            p.kiss.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.kiss);
        if (p.auth.empty()) {
            e["auth"] = nullptr;  // not an ntpd-lite, or an older one
        } else {
            e["auth"] = {
                {"kind", p.auth},
                {"key_id", p.auth == "key" ? nlohmann::ordered_json(p.keyid)
                                           : nlohmann::ordered_json(nullptr)},
                {"authenticated", p.auth_ok},
                {"failures", p.auth_fail},
                {"last_failure", p.auth_last.empty() ? nlohmann::ordered_json(nullptr)
                                                     : nlohmann::ordered_json(p.auth_last)}};
            if (p.auth == "nts") {
                e["auth"]["nts_cookies"] = p.nts_cookies;
                e["auth"]["nts_ke_exchanges"] = p.ntske_ok;
                nlohmann::ordered_json failed = nlohmann::ordered_json::object();
                for (const auto& [kind, n] : parse_kind_counts(p.ntske_fail)) failed[kind] = n;
                e["auth"]["nts_ke_failures"] = std::move(failed);
            }
        }
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
    j["state"] = sync_state_of(r);
    j["state_text"] = state_sentence(r);
    j["reason"] = s.sync_reason.empty() || s.sync_reason == "none"
                      ? nlohmann::ordered_json(nullptr)
                      : nlohmann::ordered_json(s.sync_reason);
    j["since_utc"] = s.since_unix_ns ? nlohmann::ordered_json(format_rfc3339_ns(*s.since_unix_ns))
                                     : nlohmann::ordered_json(nullptr);
    j["holdover_left_s"] =
        sync_state_of(r) == "holdover" && s.holdover_left_s && *s.holdover_left_s >= 0
            ? opt(s.holdover_left_s)
            : nlohmann::ordered_json(nullptr);
    j["system_status"] = s.status;
    j["leap"] = s.leap;
    j["leap_text"] = leap_text(s.leap);
    j["stratum"] = s.stratum;
    j["refid"] = s.refid;
    const PeerInfo* p = r.system_peer();
    j["source"] = p ? nlohmann::ordered_json(p->remote) : nlohmann::ordered_json(nullptr);
    j["source_association"] =
        p ? nlohmann::ordered_json(p->association_id) : nlohmann::ordered_json(nullptr);
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
    using J = nlohmann::ordered_json;
    auto counts_json = [](const std::vector<std::pair<std::string, int64_t>>& counts) {
        J o = J::object();
        for (const auto& [kind, n] : counts) o[kind] = n;
        return o;
    };
    if (p && !p->auth.empty()) {
        j["auth"] = {
            {"kind", p->auth},
            {"key_id", p->auth == "key" ? J(p->keyid) : J(nullptr)},
            {"nts_cookies", p->auth == "nts" ? J(p->nts_cookies) : J(nullptr)},
            {"authenticated", p->auth_ok},
            {"failures", p->auth_fail},
            {"last_failure", p->auth_last.empty() ? J(nullptr) : J(p->auth_last)},
            {"nts_ke_exchanges", p->auth == "nts" ? J(p->ntske_ok) : J(nullptr)},
            {"nts_ke_failures",
             p->auth == "nts" ? counts_json(parse_kind_counts(p->ntske_fail)) : J(nullptr)}};
    } else {
        j["auth"] = nullptr;  // no source in use, or not an ntpd-lite
    }
    if (s.auth_replies) {
        j["server_auth"] = {{"replies", *s.auth_replies},
                            {"dropped", counts_json(s.auth_drops)},
                            {"nts_naks", s.nts_naks}};
    } else {
        j["server_auth"] = nullptr;
    }
    if (s.ntske) {
        j["nts_ke_server"] = {{"handshakes", s.ntske_handshakes},
                              {"sessions", s.ntske_sessions},
                              {"cookies_issued", s.ntske_cookies},
                              {"failures", s.ntske_failures},
                              {"failures_by_kind", counts_json(parse_kind_counts(s.ntske_fail))}};
    } else {
        j["nts_ke_server"] = nullptr;
    }
    j["exit_code"] = static_cast<int>(exit_code_for_state(r));
    j["error"] = nullptr;
    return j;
}

nlohmann::ordered_json source_json(const DaemonReport& r) {
    nlohmann::ordered_json j = header(kSourceJsonSchema, r);
    using J = nlohmann::ordered_json;
    j["synchronized"] = r.system.synchronized();
    j["state"] = sync_state_of(r);
    j["kind"] = source_kind(r);
    const PeerInfo* p = source_kind(r) == "ntp" ? r.system_peer() : nullptr;
    // What the line says: the source's own stratum, refid and offset (null without a source);
    // the daemon's stratum and refid under their own names.
    j["source"] = p ? J(p->remote) : J(nullptr);
    j["stratum"] = p ? J(p->stratum) : J(nullptr);
    j["refid"] = p ? J(p->refid) : J(nullptr);
    j["offset_ms"] = p ? opt(p->offset_ms) : J(nullptr);
    j["system_stratum"] = r.system.stratum;
    j["system_refid"] = r.system.refid;
    j["line"] = format_source_line(r);
    j["exit_code"] = static_cast<int>(exit_code_for_state(r));
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
