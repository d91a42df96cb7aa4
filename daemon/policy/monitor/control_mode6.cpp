#include "daemon/policy/monitor/control_mode6.hpp"

#include <fmt/format.h>

#include <utility>

#include "daemon/policy/monitor/status_text.hpp"
#include "proto/refid.hpp"

namespace ntplite::daemon {
namespace {

using proto::ControlError;
using proto::ControlOpcode;

/// One "name=value" item.
struct Var {
    std::string name;
    std::string text;  ///< "name=value" as sent
};

Var raw(std::string name, std::string value) {
    std::string text = name + "=" + value;
    return {std::move(name), std::move(text)};
}
Var quoted(std::string name, std::string_view value) {
    std::string v(value);
    std::erase(v, '"');
    return raw(std::move(name), "\"" + v + "\"");
}
Var integer(std::string name, int64_t v) {
    return raw(std::move(name), std::to_string(v));
}
/// Nanoseconds as milliseconds with 6 decimals (ntpsec's precision, ntpq's unit).
Var ms(std::string name, int64_t ns) {
    const char* sign = ns < 0 ? "-" : "";
    const uint64_t mag =
        ns < 0 ? uint64_t{0} - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
    return raw(std::move(name), fmt::format("{}{}.{:06}", sign, mag / 1'000'000, mag % 1'000'000));
}
Var ppm(std::string name, double v) {
    return raw(std::move(name), fmt::format("{:.3f}", v));
}

std::string join(const std::vector<Var>& vars, std::string_view wanted, bool* unknown) {
    std::string out;
    auto add = [&out](const Var& v) {
        if (!out.empty()) out += ", ";
        out += v.text;
    };
    if (unknown) *unknown = false;
    bool any_wanted = false;
    proto::VarListReader r(wanted);
    while (auto w = r.next()) {
        if (w->name.empty()) continue;
        any_wanted = true;
        bool found = false;
        for (const Var& v : vars) {
            if (v.name == w->name) {
                add(v);
                found = true;
                break;
            }
        }
        if (!found && unknown) *unknown = true;
    }
    if (!any_wanted) {
        for (const Var& v : vars) add(v);
    }
    return out;
}

// ntpq shows an unknown kiss as "KISS".
std::string_view ntpq_kiss_name(proto::KissCode k) {
    return k == proto::KissCode::kOther ? std::string_view("KISS") : proto::kiss_name(k);
}

/// True for refids that are 1-4 upper-case letters or digits, NUL padded ("LOCL", "GPS").
bool is_ascii_code(uint32_t refid) {
    if (refid == 0) return false;
    bool ended = false;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const char c = static_cast<char>((refid >> shift) & 0xff);
        if (c == 0) {
            ended = true;
        } else if (ended || !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return (refid >> 24) != 0;
}

Mode6Answer respond(const proto::ControlHeader& req, uint16_t status, bool error,
                    std::string_view data) {
    Mode6Answer a;
    a.outcome = error ? Mode6Outcome::kErrorAnswer : Mode6Outcome::kAnswered;
    const auto bytes = std::as_bytes(std::span<const char>(data.data(), data.size()));
    const std::size_t n = proto::control_fragment_count(bytes.size());
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<std::byte> out(proto::kControlHeaderSize + proto::kControlMaxData);
        const std::size_t len = proto::control_fragment(req, status, error, bytes, i, out);
        if (len == 0) break;
        out.resize(len);
        a.datagrams.push_back(std::move(out));
    }
    return a;
}

Mode6Answer error_answer(const proto::ControlHeader& req, ControlError e) {
    return respond(req, proto::control_error_status(e), true, {});
}

const SourceView* find_source(const MonitorSnapshot& m, uint16_t assoc) {
    for (const SourceView& v : m.sources) {
        if (association_id(v.snap.id) == assoc) return &v;
    }
    return nullptr;
}

/// "kind:N kind:N" for the kinds counted at least once ("none" when none): one mode 6 variable
/// that ntpq prints as is and ntpq-lite splits.
template <typename Kind, std::size_t N>
std::string nonzero_counts(const std::array<uint64_t, N>& counts) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (counts[i] == 0) continue;
        if (!out.empty()) out += ' ';
        out += fmt::format("{}:{}", proto::nts::to_string(static_cast<Kind>(i)), counts[i]);
    }
    return out.empty() ? "none" : out;
}

/// The server's authentication drops by kind, "unknown_key:1 bad_mac:2" ("none" when none).
std::string auth_drops_text(const CounterTotals& c) {
    const std::pair<std::string_view, uint64_t> drops[] = {{"unknown_key", c.auth_unknown_key},
                                                           {"bad_mac", c.auth_bad_mac},
                                                           {"malformed", c.auth_malformed},
                                                           {"unsupported", c.auth_unsupported}};
    std::string out;
    for (const auto& [kind, n] : drops) {
        if (n == 0) continue;
        if (!out.empty()) out += ' ';
        out += fmt::format("{}:{}", kind, n);
    }
    return out.empty() ? "none" : out;
}

}  // namespace

std::string_view to_string(Mode6Outcome o) {
    switch (o) {
        case Mode6Outcome::kAnswered:
            return "answered";
        case Mode6Outcome::kErrorAnswer:
            return "error_answer";
        case Mode6Outcome::kDropped:
            return "dropped";
    }
    return "?";
}

std::size_t Mode6Answer::total_bytes() const {
    std::size_t n = 0;
    for (const auto& d : datagrams) n += d.size();
    return n;
}

std::string lfp_hex(proto::NtpTimestamp t) {
    return fmt::format("0x{:08x}.{:08x}", t.seconds(), t.fraction());
}

std::string refid_text(uint32_t refid, uint8_t stratum) {
    if (stratum >= 2 && stratum < 16) {
        return fmt::format("{}.{}.{}.{}", refid >> 24, (refid >> 16) & 0xff, (refid >> 8) & 0xff,
                           refid & 0xff);
    }
    std::string s;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const char c = static_cast<char>((refid >> shift) & 0xff);
        if (c == 0) break;
        // ntpq splits on ',' and '=' and strips quotes: anything odd becomes '?'.
        s += (c > ' ' && c < 127 && c != ',' && c != '=' && c != '"') ? c : '?';
    }
    // An unsynchronized server with no code says INIT, as ntpd does.
    return s.empty() ? "INIT" : s;
}

proto::PeerSelection selection_of(clock::SourceState s) {
    using clock::SourceState;
    switch (s) {
        case SourceState::kSelected:
            return proto::PeerSelection::kSystemPeer;
        case SourceState::kCandidate:
            return proto::PeerSelection::kCandidate;
        case SourceState::kOutlier:
            return proto::PeerSelection::kOutlier;
        case SourceState::kFalseticker:
            return proto::PeerSelection::kFalseticker;
        default:
            return proto::PeerSelection::kRejected;
    }
}

uint16_t system_status(const MonitorSnapshot& m) {
    const auto source =
        m.system.synchronized ? proto::ClockSource::kUdpNtp : proto::ClockSource::kUnspecified;
    return proto::system_status_word(m.system.state.leap, source, 0, 0);
}

uint16_t peer_status(const MonitorSnapshot&, const SourceView& v) {
    proto::PeerStatusFlags f;
    f.configured = true;
    f.reachable = v.snap.reach != 0;
    // RFC 9327 / ntpd: auth enabled when the source is authenticated at all, authentic when its
    // last reply passed (nothing was refused after the last accepted reply).
    const auth::AuthStatus& a = v.snap.auth;
    f.auth_enabled = a.kind != auth::AuthKind::kNone;
    f.authentic = f.auth_enabled && a.authenticated > 0 &&
                  v.snap.last_reply_time_ns >= a.last_failure_time_ns;
    return proto::peer_status_word(f, selection_of(v.snap.state), 0, 0);
}

std::string system_variables(const MonitorSnapshot& m, std::string_view wanted, bool* unknown) {
    const SystemSnapshot& s = m.system;
    uint16_t peer = 0;
    if (s.system_peer) peer = association_id(*s.system_peer);
    // The [local] fallback serves 127.127.1.1 (chrony's choice): an address at every stratum,
    // which ntpsec's ntpq and ours print as such (an ASCII "LOCL" above stratum 1 reads as
    // 76.79.67.76). Other codes from a daemon without a source are shown as codes.
    std::string system_refid = refid_text(s.state.refid, s.state.stratum);
    if (s.state.refid == clock::kLocalFallbackRefid) {
        system_refid = refid_text(s.state.refid, 2);
    } else if (!s.system_peer && is_ascii_code(s.state.refid)) {
        system_refid = refid_text(s.state.refid, 1);
    }
    // RFC 5905 root distance: root delay / 2 + root dispersion.
    const int64_t root_distance_ns =
        s.state.root_delay.to_ns() / 2 + s.state.root_dispersion.to_ns();
    std::string peer_address = "0.0.0.0:0";
    for (const SourceView& v : m.sources) {
        if (s.system_peer && v.snap.id == *s.system_peer) {
            peer_address = v.address.find(':') != std::string::npos
                               ? "[" + v.address + "]:" + std::to_string(v.port)
                               : v.address + ":" + std::to_string(v.port);
        }
    }
    std::vector<Var> vars = {
        quoted("version", s.version),
        quoted("processor", s.processor),
        quoted("system", s.system),
        integer("leap", static_cast<int>(s.state.leap)),
        integer("stratum", s.state.stratum),
        integer("precision", s.state.precision_log2),
        ms("rootdelay", s.state.root_delay.to_ns()),
        ms("rootdisp", s.state.root_dispersion.to_ns()),
        raw("refid", system_refid),
        raw("reftime", lfp_hex(s.state.reference_time)),
        raw("clock", lfp_hex(proto::NtpTimestamp::from_unix_ns(s.now_unix_ns))),
        integer("peer", peer),
        integer("tc", s.poll_log2),
        integer("mintc", s.min_poll_log2),
        ms("offset", s.offset_ns),
        ppm("frequency", s.frequency_ppm),
        ms("sys_jitter", s.sys_jitter_ns),
        ms("clk_jitter", s.clk_jitter_ns),
        ppm("clk_wander", s.clk_wander_ppm),
        // ntpsec's `ntpq -c sysinfo` asks for these in one request (all or nothing).
        raw("peeradr", peer_address),
        integer("peermode", s.system_peer ? 3 : 0),  // we are our system peer's client
        ms("rootdist", root_distance_ns),
        ms("authdelay", 0),
        // ntpd-lite's state, as `status`/`source`/`peers` show it.
        quoted("sync_state", system_state_word(m)),
        quoted("sync_reason", system_reason_word(m)),
        quoted("sync_text", system_state_text(m)),
        raw("sync_since",
            lfp_hex(s.status.since_ns ? proto::NtpTimestamp::from_unix_ns(s.status.since_ns)
                                      : proto::NtpTimestamp{})),
        // Seconds of holdover left (-1: until the root distance is too large; 0 outside holdover).
        integer(
            "holdover_left",
            s.status.state == clock::SyncState::kHoldover
                ? (s.status.holdover_left_ns < 0 ? -1 : s.status.holdover_left_ns / 1'000'000'000)
                : 0),
        // The server's authentication: replies sent with a MAC or NTS, requests dropped by
        // kind ("bad_mac:2", only kinds that happened), NTS NAKs sent; `ntpq-lite status`
        // prints them. Short: mode 6 answers stay within two fragments (amplification).
        integer("authreplies", static_cast<int64_t>(m.server.auth_replies)),
        quoted("authdrops", auth_drops_text(m.server)),
        integer("ntsnaks", static_cast<int64_t>(m.server.auth_nts_nak)),
        integer("ntske", m.nts_server ? 1 : 0),
    };
    if (m.nts_server) {
        // The NTS-KE server: handshakes, sessions with cookies, cookies, failures by kind, and
        // the master key that seals new cookies (id, age in s). Only with [nts] certificate.
        const NtsKeServerTotals& ke = *m.nts_server;
        vars.insert(vars.end(),
                    {integer("ntske_hs", static_cast<int64_t>(ke.handshakes)),
                     integer("ntske_sess", static_cast<int64_t>(ke.sessions)),
                     integer("ntske_cookies", static_cast<int64_t>(ke.cookies_issued)),
                     quoted("ntske_fail", nonzero_counts<proto::nts::KeServerFailure>(ke.failures)),
                     raw("ntske_keyid", fmt::format("0x{:08x}", ke.key_id)),
                     integer("ntske_keyage", nts_key_age_s(ke, s.now_unix_ns))});
    }
    return join(vars, wanted, unknown);
}

std::string peer_variables(const MonitorSnapshot& m, const SourceView& v, std::string_view wanted,
                           bool* unknown) {
    const clock::SourceSnapshot& s = v.snap;
    // ntpq's "when"/"rec": the last reply received, not the filter's best sample.
    const int64_t since_reply_ns =
        s.last_reply_time_ns ? m.system.now_unix_ns - s.last_reply_time_ns : 0;
    std::vector<Var> vars = {
        // An unresolved name has no address: ntpq then shows srchost, as for its pool entries.
        raw("srcadr", v.address.empty() || !v.unresolved_error.empty() ? "0.0.0.0" : v.address),
        quoted("srchost", v.unresolved_error.empty() ? v.address : v.snap.name),
        integer("srcport", v.port),
        raw("dstadr", v.local_address.empty() ? "0.0.0.0" : v.local_address),
        integer("dstport", v.local_port),
        integer("leap", static_cast<int>(v.leap)),
        integer("stratum", s.stratum),
        integer("precision", v.precision_log2),
        ms("rootdelay", v.root_delay_ns),
        ms("rootdisp", v.root_dispersion_ns),
        // While a KoD is why the source is not used, its refid is the kiss code (ntpq: .RATE.).
        raw("refid",
            s.kiss ? std::string(ntpq_kiss_name(*s.kiss)) : refid_text(s.refid, s.stratum)),
        raw("reftime", lfp_hex(v.reference_time)),
        // ntpq's "when": the last valid reply, not the filter's (older) best sample.
        raw("rec",
            lfp_hex(s.last_reply_time_ns ? proto::NtpTimestamp::from_unix_ns(s.last_reply_time_ns)
                                         : proto::NtpTimestamp{})),
        raw("reach", fmt::format("0x{:02x}", s.reach)),
        integer("unreach", v.unreach_polls),
        integer("hmode", 3),  // we are its client
        integer("pmode", 4),  // it answers as a server
        integer("hpoll", s.poll_log2),
        integer("ppoll", s.poll_log2),
        integer("headway", 0),
        raw("flash", "0x0"),
        integer("keyid", s.auth.kind == auth::AuthKind::kKey ? s.auth.key_id : 0),
        // ntpq's convention is 0 for a source without a sample; `sampled` says whether these
        // are measured, so ntpq-lite shows "-" (and JSON null) instead of a made-up 0.
        integer("sampled", s.has_sample ? 1 : 0),
        ms("offset", s.offset_ns),
        ms("delay", s.delay_ns),
        ms("dispersion", v.dispersion_ns),
        ms("jitter", s.jitter_ns),
        ms("rootdist", s.root_distance_ns),
        quoted("state", source_state_word(v)),
        quoted("reason", source_reason_text(v)),
        integer("sent", static_cast<int64_t>(v.requests_sent)),
        integer("since_reply", since_reply_ns / 1'000'000'000),
        // Always present (empty when the source never sent a KoD): ntpq's `rv &1 kiss` must
        // not fail on a source that was never kissed.
        quoted("kiss", s.last_kiss ? std::string(ntpq_kiss_name(*s.last_kiss)) : std::string()),
        // Authentication: "none", "key" (keyid above) or "nts"; replies accepted and refused,
        // the last refusal's reason ("" when none).
        quoted("auth", auth::to_string(s.auth.kind)),
        integer("authok", static_cast<int64_t>(s.auth.authenticated)),
        integer("authfail", static_cast<int64_t>(s.auth.failures)),
        quoted("authlast", s.auth.last_failure == auth::AuthFailure::kNone
                               ? std::string()
                               : std::string(auth::to_string(s.auth.last_failure))),
    };
    if (s.auth.kind == auth::AuthKind::kNts) {
        // NTS sources only: cookies left (ntpsec's name: its ntpq shows the count in the t
        // column, as for ntpsec's own NTS associations), key exchanges done and failed by kind
        // ("certificate:2").
        vars.insert(
            vars.end(),
            {integer("ntscookies", s.auth.nts.cookies),
             integer("ntske_ok", static_cast<int64_t>(s.auth.nts.ke_exchanges)),
             quoted("ntske_fail", nonzero_counts<proto::nts::KeFailure>(s.auth.nts.ke_failures))});
    }
    return join(vars, wanted, unknown);
}

Mode6Answer answer_mode6(std::span<const std::byte> request, const MonitorSnapshot& m) {
    auto msg = proto::parse_control(request);
    // Responses are never answered (two daemons must not ping-pong), nor fragmented requests:
    // nothing we serve needs a request longer than one datagram.
    if (!msg || msg->header.response || msg->header.more || msg->header.error ||
        msg->header.offset != 0) {
        return {};
    }
    const proto::ControlHeader& req = msg->header;
    const std::string_view data(reinterpret_cast<const char*>(msg->data.data()), msg->data.size());
    switch (static_cast<ControlOpcode>(req.opcode)) {
        case ControlOpcode::kReadStatus: {
            if (req.association_id == 0) {
                std::string list;
                for (const SourceView& v : m.sources) {
                    const uint16_t id = association_id(v.snap.id);
                    const uint16_t st = peer_status(m, v);
                    for (uint16_t w : {id, st}) {
                        list += static_cast<char>(w >> 8);
                        list += static_cast<char>(w & 0xff);
                    }
                }
                return respond(req, system_status(m), false, list);
            }
            const SourceView* v = find_source(m, req.association_id);
            if (!v) return error_answer(req, ControlError::kUnknownAssociation);
            return respond(req, peer_status(m, *v), false, {});
        }
        case ControlOpcode::kReadVariables: {
            bool unknown = false;
            if (req.association_id == 0) {
                std::string text = system_variables(m, data, &unknown);
                if (unknown) return error_answer(req, ControlError::kUnknownVariable);
                return respond(req, system_status(m), false, text);
            }
            const SourceView* v = find_source(m, req.association_id);
            if (!v) return error_answer(req, ControlError::kUnknownAssociation);
            std::string text = peer_variables(m, *v, data, &unknown);
            if (unknown) return error_answer(req, ControlError::kUnknownVariable);
            return respond(req, peer_status(m, *v), false, text);
        }
        case ControlOpcode::kWriteVariables:
        case ControlOpcode::kWriteClockVariables:
        case ControlOpcode::kSetTrap:
        case ControlOpcode::kUnsetTrap:
        case ControlOpcode::kConfigure:
        case ControlOpcode::kSaveConfig:
            return error_answer(req, ControlError::kPermissionDenied);
        default:
            // READCLOCK (we have no reference clocks), mrulist, ordered lists, nonces, unknown.
            return error_answer(req, ControlError::kInvalidOpcode);
    }
}

}  // namespace ntplite::daemon
