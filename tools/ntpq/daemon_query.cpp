#include "tools/ntpq/daemon_query.hpp"

#include <charconv>
#include <cstdlib>

namespace ntplite::tools {
namespace {

std::optional<double> to_double(const VarMap& v, std::string_view name) {
    auto it = v.find(name);
    if (it == v.end()) return std::nullopt;
    char* end = nullptr;
    const std::string s = it->second;
    const double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str()) return std::nullopt;
    return d;
}

/// Decimal or 0x-hex integers (ntpd sends reach as "0xff" or "377"-style decimal).
std::optional<int64_t> to_int(const VarMap& v, std::string_view name) {
    auto it = v.find(name);
    if (it == v.end()) return std::nullopt;
    const std::string s = it->second;
    char* end = nullptr;
    const long long x = std::strtoll(s.c_str(), &end, 0);
    if (end == s.c_str()) return std::nullopt;
    return x;
}

std::string to_str(const VarMap& v, std::string_view name) {
    auto it = v.find(name);
    return it == v.end() ? std::string() : it->second;
}

const char* state_of_selection(unsigned sel) {
    switch (sel) {
        case 1:
            return "falseticker";
        case 2:
            return "excess";
        case 3:
            return "outlier";
        case 4:
            return "candidate";
        case 5:
            return "backup";
        case 6:
            return "selected";
        case 7:
            return "pps";
        default:
            return "rejected";
    }
}

}  // namespace

VarMap parse_vars(std::string_view text) {
    VarMap out;
    proto::VarListReader r(text);
    while (auto v = r.next()) {
        if (!v->name.empty()) out.insert_or_assign(std::string(v->name), std::string(v->value));
    }
    return out;
}

char PeerInfo::tally() const {
    return " x.-+#*o"[selection()];
}

const PeerInfo* DaemonReport::system_peer() const {
    if (system.peer_association != 0) {
        for (const PeerInfo& p : peers) {
            if (p.association_id == system.peer_association) return &p;
        }
    }
    for (const PeerInfo& p : peers) {
        if (p.selection() == 6) return &p;
    }
    return nullptr;
}

std::optional<int64_t> parse_lfp_unix_ns(std::string_view text, int64_t pivot_unix_ns) {
    // ntpd sends "0x" + hex; accept the bare hex that ntpq prints, too.
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text.remove_prefix(2);
    if (text.empty()) return std::nullopt;
    const auto dot = text.find('.');
    uint32_t sec = 0, frac = 0;
    const std::string_view s = text.substr(0, dot);
    if (s.empty() ||
        std::from_chars(s.data(), s.data() + s.size(), sec, 16).ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    if (dot != std::string_view::npos) {
        const std::string_view f = text.substr(dot + 1);
        if (!f.empty() &&
            std::from_chars(f.data(), f.data() + f.size(), frac, 16).ptr != f.data() + f.size()) {
            return std::nullopt;
        }
    }
    const proto::NtpTimestamp t{(uint64_t{sec} << 32) | frac};
    if (t.is_zero()) return std::nullopt;
    return t.to_unix_ns(pivot_unix_ns);
}

void interpret_peer(PeerInfo& p, int64_t now_unix_ns) {
    const VarMap& v = p.vars;
    p.remote = to_str(v, "srcadr");
    if ((p.remote.empty() || p.remote == "0.0.0.0" || p.remote == "::") && v.contains("srchost")) {
        p.remote = to_str(v, "srchost");
    }
    p.refid = to_str(v, "refid");
    p.stratum = static_cast<int>(to_int(v, "stratum").value_or(16));
    const int64_t hmode = to_int(v, "hmode").value_or(3);
    p.type = hmode == 1 ? 's' : hmode == 2 ? 'S' : hmode == 5 ? 'B' : hmode == 6 ? 'b' : 'u';
    if (p.remote.starts_with("127.127.")) p.type = 'l';
    const int hpoll = static_cast<int>(to_int(v, "hpoll").value_or(0));
    const int ppoll = static_cast<int>(to_int(v, "ppoll").value_or(hpoll));
    p.poll_log2 = std::min(hpoll, ppoll);
    p.reach = static_cast<unsigned>(to_int(v, "reach").value_or(0) & 0xff);
    p.delay_ms = to_double(v, "delay");
    p.offset_ms = to_double(v, "offset");
    p.jitter_ms = to_double(v, "jitter");
    if (!p.jitter_ms) p.jitter_ms = to_double(v, "dispersion");
    // ntpd-lite says whether the source has a sample (others send 0 for "none": shown as sent).
    if (to_int(v, "sampled") == 0) p.delay_ms = p.offset_ms = p.jitter_ms = std::nullopt;
    std::optional<int64_t> last;
    if (auto r = parse_lfp_unix_ns(to_str(v, "rec"), now_unix_ns))
        last = r;
    else if (auto f = parse_lfp_unix_ns(to_str(v, "reftime"), now_unix_ns))
        last = f;
    if (last) p.when_s = std::max<int64_t>(0, (now_unix_ns - *last) / 1'000'000'000);
    p.state = v.contains("state") ? to_str(v, "state") : state_of_selection(p.selection());
    p.reason = to_str(v, "reason");
    p.kiss = to_str(v, "kiss");
    p.auth = to_str(v, "auth");
    p.keyid = to_int(v, "keyid").value_or(0);
    p.auth_ok = to_int(v, "authok").value_or(0);
    p.auth_fail = to_int(v, "authfail").value_or(0);
    p.auth_last = to_str(v, "authlast");
    p.nts_cookies = to_int(v, "ntscookies").value_or(0);
    p.ntske_ok = to_int(v, "ntske_ok").value_or(0);
    p.ntske_fail = to_str(v, "ntske_fail");
}

std::vector<std::pair<std::string, int64_t>> parse_kind_counts(std::string_view text) {
    std::vector<std::pair<std::string, int64_t>> out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t end = text.find(' ', i);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view item = text.substr(i, end - i);
        i = end + 1;
        const std::size_t colon = item.rfind(':');
        if (colon == std::string_view::npos || colon == 0) continue;
        int64_t n = 0;
        const char* first = item.data() + colon + 1;
        const char* last = item.data() + item.size();
        const auto [ptr, ec] = std::from_chars(first, last, n);
        if (ec != std::errc() || ptr != last || first == last) continue;
        out.emplace_back(std::string(item.substr(0, colon)), n);
    }
    return out;
}

std::string PeerInfo::auth_text() const {
    if (auth == "key") return "key " + std::to_string(keyid);
    if (auth == "nts") return "nts";
    return "";
}

void interpret_system(SystemInfo& s, int64_t now_unix_ns) {
    const VarMap& v = s.vars;
    s.leap = static_cast<int>(to_int(v, "leap").value_or((s.status >> 14) & 3));
    s.stratum = static_cast<int>(to_int(v, "stratum").value_or(16));
    s.refid = to_str(v, "refid");
    s.peer_association = static_cast<uint16_t>(to_int(v, "peer").value_or(0));
    s.offset_ms = to_double(v, "offset");
    s.frequency_ppm = to_double(v, "frequency");
    s.sys_jitter_ms = to_double(v, "sys_jitter");
    s.clk_jitter_ms = to_double(v, "clk_jitter");
    s.clk_wander_ppm = to_double(v, "clk_wander");
    s.root_delay_ms = to_double(v, "rootdelay");
    s.root_disp_ms = to_double(v, "rootdisp");
    if (auto p = to_int(v, "precision")) s.precision_log2 = static_cast<int>(*p);
    if (auto t = to_int(v, "tc")) s.poll_log2 = static_cast<int>(*t);
    s.reftime_unix_ns = parse_lfp_unix_ns(to_str(v, "reftime"), now_unix_ns);
    s.version = to_str(v, "version");
    s.sync_state = to_str(v, "sync_state");
    s.sync_reason = to_str(v, "sync_reason");
    s.sync_text = to_str(v, "sync_text");
    s.since_unix_ns = parse_lfp_unix_ns(to_str(v, "sync_since"), now_unix_ns);
    s.holdover_left_s = to_double(v, "holdover_left");
    s.auth_replies = to_int(v, "authreplies");
    s.auth_drops = parse_kind_counts(to_str(v, "authdrops"));
    s.nts_naks = to_int(v, "ntsnaks").value_or(0);
    s.ntske = to_int(v, "ntske").value_or(0) != 0;
    s.ntske_handshakes = to_int(v, "ntske_hs").value_or(0);
    s.ntske_sessions = to_int(v, "ntske_sess").value_or(0);
    s.ntske_cookies = to_int(v, "ntske_cookies").value_or(0);
    s.ntske_failures = 0;
    for (const auto& [kind, n] : parse_kind_counts(to_str(v, "ntske_fail"))) s.ntske_failures += n;
    s.ntske_fail = to_str(v, "ntske_fail");
}

std::string sync_state_of(const DaemonReport& r) {
    if (!r.system.sync_state.empty()) return r.system.sync_state;
    if (!r.system.synchronized()) return "unsynchronized";
    if (r.system_peer()) return "synchronized";
    const std::string& id = r.system.refid;
    if (id == "LOCL" || id == "LOCAL" || id == "127.127.1.1" || id.starts_with("127.127.")) {
        return "local";
    }
    return "holdover";
}

std::expected<DaemonReport, Mode6Failure> fetch_daemon(Mode6Client& client, FetchScope scope,
                                                       int64_t now_unix_ns) {
    DaemonReport r;
    r.host = client.peer_name();
    r.now_unix_ns = now_unix_ns;
    auto read_peer = [&](uint16_t assoc, uint16_t status) -> std::expected<void, Mode6Failure> {
        auto vars = client.request(proto::ControlOpcode::kReadVariables, assoc);
        if (!vars) {
            // An association that vanished between READSTAT and READVAR is skipped, as ntpq does.
            if (vars.error().kind == Mode6Failure::Kind::kRefused && vars.error().error_code == 4)
                return {};
            return std::unexpected(vars.error());
        }
        PeerInfo p;
        p.association_id = assoc;
        p.status = vars->status != 0 ? vars->status : status;
        p.vars = parse_vars(vars->data);
        interpret_peer(p, now_unix_ns);
        r.peers.push_back(std::move(p));
        return {};
    };
    if (scope.system || !scope.peers) {
        auto sys = client.request(proto::ControlOpcode::kReadVariables, 0);
        if (!sys) return std::unexpected(sys.error());
        r.system.status = sys->status;
        r.system.vars = parse_vars(sys->data);
        interpret_system(r.system, now_unix_ns);
    }
    if (scope.peers) {
        auto list = client.request(proto::ControlOpcode::kReadStatus, 0);
        if (!list) return std::unexpected(list.error());
        if (list->data.size() % 4 != 0) {
            return std::unexpected(
                Mode6Failure{Mode6Failure::Kind::kBadResponse, 0,
                             client.peer_name() + ": malformed association list"});
        }
        if (!scope.system) r.system.status = list->status;
        for (std::size_t i = 0; i + 4 <= list->data.size(); i += 4) {
            const auto b = [&](std::size_t k) { return static_cast<uint8_t>(list->data[i + k]); };
            const auto assoc = static_cast<uint16_t>(b(0) << 8 | b(1));
            const auto status = static_cast<uint16_t>(b(2) << 8 | b(3));
            if (auto ok = read_peer(assoc, status); !ok) return std::unexpected(ok.error());
        }
    } else if (r.system.peer_association != 0) {
        if (auto ok = read_peer(r.system.peer_association, 0); !ok)
            return std::unexpected(ok.error());
    }
    return r;
}

}  // namespace ntplite::tools
