#include "daemon/policy/monitor/metrics_prometheus.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

#include "daemon/policy/monitor/control_json.hpp"
#include "daemon/policy/monitor/control_mode6.hpp"
#include "daemon/policy/monitor/status_text.hpp"
#include "ntplite/version.hpp"

namespace ntplite::daemon {
namespace {

class Writer {
  public:
    /// Starts a family: HELP and TYPE lines.
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    /// One sample; `labels` is already formatted ("a=\"x\",b=\"y\"") or empty.
    void sample(std::string_view name, const std::string& labels, double v) {
        out_ += name;
        if (!labels.empty()) out_ += "{" + labels + "}";
        out_ += ' ';
        if (std::isnan(v)) {
            out_ += "NaN";
        } else if (std::isinf(v)) {
            out_ += v > 0 ? "+Inf" : "-Inf";
        } else {
            fmt::format_to(std::back_inserter(out_), "{:.10g}", v);
        }
        out_ += '\n';
    }
    void gauge(std::string_view name, std::string_view help, double v) {
        family(name, "gauge", help);
        sample(name, "", v);
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

double seconds(int64_t ns) {
    return static_cast<double>(ns) / 1e9;
}

std::string label(std::string_view k, std::string_view v) {
    return std::string(k) + "=\"" + escape_label_value(v) + "\"";
}

/// The NTS-KE server's families (only with [nts] certificate: absent, not 0, without it).
void nts_ke_server_metrics(Writer& w, const NtsKeServerTotals& t, int64_t now_unix_ns) {
    w.family("ntpd_lite_nts_ke_connections_total", "counter",
             "NTS-KE TCP connections accepted, and accept() failures");
    w.sample("ntpd_lite_nts_ke_connections_total", label("outcome", "accepted"),
             static_cast<double>(t.accepted));
    w.sample("ntpd_lite_nts_ke_connections_total", label("outcome", "accept_error"),
             static_cast<double>(t.accept_errors));
    w.family("ntpd_lite_nts_ke_handshakes_total", "counter",
             "NTS-KE TLS 1.3 handshakes completed with ALPN ntske/1");
    w.sample("ntpd_lite_nts_ke_handshakes_total", "", static_cast<double>(t.handshakes));
    w.family("ntpd_lite_nts_ke_sessions_total", "counter", "NTS-KE requests answered with cookies");
    w.sample("ntpd_lite_nts_ke_sessions_total", "", static_cast<double>(t.sessions));
    w.family("ntpd_lite_nts_ke_cookies_issued_total", "counter",
             "Cookies handed out by the NTS-KE server");
    w.sample("ntpd_lite_nts_ke_cookies_issued_total", "", static_cast<double>(t.cookies_issued));
    w.family("ntpd_lite_nts_ke_failures_total", "counter",
             "NTS-KE connections given no cookies, by kind (tls_handshake, alpn, bad_request, "
             "no_algorithm, io, timeout, cap_reached, internal)");
    for (std::size_t i = 0; i < t.failures.size(); ++i) {
        w.sample("ntpd_lite_nts_ke_failures_total",
                 label("kind", proto::nts::to_string(static_cast<proto::nts::KeServerFailure>(i))),
                 static_cast<double>(t.failures[i]));
    }
    w.family("ntpd_lite_nts_key_rotations_total", "counter",
             "Newer NTS master keys adopted (made here or read from a shared key file)");
    w.sample("ntpd_lite_nts_key_rotations_total", "", static_cast<double>(t.key_rotations));
    w.family("ntpd_lite_nts_key_info", "gauge",
             "1 with the id (hex) of the NTS master key that seals new cookies");
    w.sample("ntpd_lite_nts_key_info", label("key_id", fmt::format("{:08x}", t.key_id)), 1);
    w.gauge("ntpd_lite_nts_key_age_seconds", "Age of the NTS master key that seals new cookies",
            static_cast<double>(nts_key_age_s(t, now_unix_ns)));
}

}  // namespace

std::string escape_label_value(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string metrics_text(const MonitorSnapshot& m) {
    Writer w;
    const SystemSnapshot& s = m.system;
    // Prometheus convention: a constant 1 whose labels carry the build (version from CMake).
    w.family("ntpd_lite_build_info", "gauge", "Build of this ntpd-lite; the value is always 1");
    w.sample("ntpd_lite_build_info", label("version", kVersion), 1);
    w.gauge("ntpd_lite_synchronized",
            "1 if the daemon serves synchronized time (LI != 3, stratum 1..15)",
            s.synchronized ? 1 : 0);
    w.gauge("ntpd_lite_system_offset_seconds",
            "Last combined offset of the sources (> 0: local clock behind)", seconds(s.offset_ns));
    w.gauge("ntpd_lite_system_frequency_ppm",
            "Frequency correction of the local clock in ppm (> 0: made faster)", s.frequency_ppm);
    w.gauge("ntpd_lite_system_stratum", "Stratum advertised to clients (16 = unsynchronized)",
            s.state.stratum);
    w.gauge("ntpd_lite_system_root_delay_seconds", "Root delay advertised to clients",
            seconds(s.state.root_delay.to_ns()));
    w.gauge("ntpd_lite_system_root_dispersion_seconds", "Root dispersion advertised to clients",
            seconds(s.state.root_dispersion.to_ns()));
    w.gauge("ntpd_lite_system_leap_indicator",
            "Leap indicator advertised (0 none, 1 insert, 2 delete, 3 unsynchronized)",
            static_cast<int>(s.state.leap));
    w.gauge("ntpd_lite_system_jitter_seconds", "Jitter of the selected source",
            seconds(s.sys_jitter_ns));
    w.gauge("ntpd_lite_system_poll_interval_seconds", "System poll interval",
            std::ldexp(1.0, s.poll_log2));
    w.gauge("ntpd_lite_system_last_update_timestamp_seconds",
            "Unix time of the last clock update (0: never)", seconds(s.last_update_unix_ns));
    w.gauge("ntpd_lite_observe_only",
            "1 if the daemon never adjusts the clock ([clock] mode = observe)",
            s.observe_only ? 1 : 0);

    // The core's system state as an enum-style family: all four states always present, exactly
    // one at 1, so `ntpd_lite_sync_state{state="holdover"} == 1` is a simple alert.
    w.family("ntpd_lite_sync_state", "gauge",
             "1 for the system's current state (synchronized, holdover, local, unsynchronized)");
    for (std::string_view st : {"synchronized", "holdover", "local", "unsynchronized"}) {
        w.sample("ntpd_lite_sync_state", label("state", st), system_state_word(m) == st ? 1 : 0);
    }
    w.family("ntpd_lite_sync_reason", "gauge",
             "1 with the reason the system is not (or no longer) synchronized to a source");
    w.sample("ntpd_lite_sync_reason", label("reason", system_reason_word(m)), 1);
    w.family("ntpd_lite_selected_source", "gauge",
             "1 for the source the clock follows; absent labels when none");
    bool any_selected = false;
    for (const SourceView& v : m.sources) {
        if (v.snap.state == clock::SourceState::kSelected) {
            w.sample("ntpd_lite_selected_source", label("source", v.snap.name), 1);
            any_selected = true;
        }
    }
    if (!any_selected) w.sample("ntpd_lite_selected_source", label("source", ""), 0);

    struct PerSource {
        const char* name;
        const char* type;
        const char* help;
        double (*value)(const SourceView&);
        bool measured = false;  ///< a filter value: no series for a source without a sample
    };
    static constexpr PerSource kPerSource[] = {
        {"ntpd_lite_source_offset_seconds", "gauge",
         "Filtered offset of the source (> 0: local clock behind)",
         [](const SourceView& v) { return seconds(v.snap.offset_ns); }, true},
        {"ntpd_lite_source_delay_seconds", "gauge", "Round-trip delay of the filtered sample",
         [](const SourceView& v) { return seconds(v.snap.delay_ns); }, true},
        {"ntpd_lite_source_jitter_seconds", "gauge", "Jitter of the source's samples",
         [](const SourceView& v) { return seconds(v.snap.jitter_ns); }, true},
        {"ntpd_lite_source_root_distance_seconds", "gauge", "Root distance of the source",
         [](const SourceView& v) { return seconds(v.snap.root_distance_ns); }, true},
        {"ntpd_lite_source_reach", "gauge", "Reachability register (8 bits, newest poll in bit 0)",
         [](const SourceView& v) { return static_cast<double>(v.snap.reach); }},
        {"ntpd_lite_source_stratum", "gauge", "Stratum of the source",
         [](const SourceView& v) { return static_cast<double>(v.snap.stratum); }},
        {"ntpd_lite_source_poll_interval_seconds", "gauge", "Poll interval of the source",
         [](const SourceView& v) { return std::ldexp(1.0, v.snap.poll_log2); }},
        {"ntpd_lite_source_requests_sent_total", "counter", "Requests sent to the source",
         [](const SourceView& v) { return static_cast<double>(v.requests_sent); }},
        {"ntpd_lite_source_auth_replies_total", "counter",
         "Replies that passed the source's authentication (symmetric key or NTS)",
         [](const SourceView& v) { return static_cast<double>(v.snap.auth.authenticated); }},
        {"ntpd_lite_source_auth_failures_total", "counter",
         "Replies refused (or requests not sent) by the source's authentication",
         [](const SourceView& v) { return static_cast<double>(v.snap.auth.failures); }},
        {"ntpd_lite_source_last_kod_timestamp_seconds", "gauge",
         "Unix time of the last Kiss-o'-Death (0: none)",
         [](const SourceView& v) {
             return v.snap.last_kiss ? seconds(v.snap.last_kiss_time_ns) : 0.0;
         }},
    };
    for (const PerSource& f : kPerSource) {
        w.family(f.name, f.type, f.help);
        for (const SourceView& v : m.sources) {
            // Absent, not 0, until the source has a sample (Prometheus: no value = no series).
            if (f.measured && !v.snap.has_sample) continue;
            w.sample(f.name, label("source", v.snap.name), f.value(v));
        }
    }
    w.family("ntpd_lite_source_state", "gauge",
             "1 for the source's current state (selected, candidate, falseticker, outlier, "
             "unreachable, ...)");
    for (const SourceView& v : m.sources) {
        w.sample("ntpd_lite_source_state",
                 label("source", v.snap.name) + "," + label("state", source_state_word(v)), 1);
    }
    w.family("ntpd_lite_source_auth", "gauge",
             "1 with how the source is authenticated (none, key, nts) and the key id");
    for (const SourceView& v : m.sources) {
        w.sample("ntpd_lite_source_auth",
                 label("source", v.snap.name) + "," +
                     label("kind", auth::to_string(v.snap.auth.kind)) + "," +
                     label("key_id", v.snap.auth.kind == auth::AuthKind::kKey
                                         ? std::to_string(v.snap.auth.key_id)
                                         : std::string()),
                 1);
    }
    // NTS sources only: a source on plain NTP or a key has no cookies and no key exchange.
    w.family("ntpd_lite_source_nts_cookies", "gauge", "NTS cookies left in the source's pool");
    for (const SourceView& v : m.sources) {
        if (v.snap.auth.kind == auth::AuthKind::kNts)
            w.sample("ntpd_lite_source_nts_cookies", label("source", v.snap.name),
                     v.snap.auth.nts.cookies);
    }
    w.family("ntpd_lite_source_nts_ke_exchanges_total", "counter",
             "Successful NTS-KE key exchanges with the source");
    for (const SourceView& v : m.sources) {
        if (v.snap.auth.kind == auth::AuthKind::kNts)
            w.sample("ntpd_lite_source_nts_ke_exchanges_total", label("source", v.snap.name),
                     static_cast<double>(v.snap.auth.nts.ke_exchanges));
    }
    w.family("ntpd_lite_source_nts_ke_failures_total", "counter",
             "Failed NTS-KE key exchanges with the source by kind (connect, certificate, tls, "
             "nak, protocol, timeout)");
    for (const SourceView& v : m.sources) {
        if (v.snap.auth.kind != auth::AuthKind::kNts) continue;
        for (std::size_t i = 0; i < v.snap.auth.nts.ke_failures.size(); ++i) {
            w.sample(
                "ntpd_lite_source_nts_ke_failures_total",
                label("source", v.snap.name) + "," +
                    label("kind", proto::nts::to_string(static_cast<proto::nts::KeFailure>(i))),
                static_cast<double>(v.snap.auth.nts.ke_failures[i]));
        }
    }
    w.family("ntpd_lite_source_last_kod", "gauge",
             "1 with the code of the last Kiss-o'-Death of the source");
    for (const SourceView& v : m.sources) {
        if (v.snap.last_kiss) {
            w.sample(
                "ntpd_lite_source_last_kod",
                label("source", v.snap.name) + "," + label("code", kiss_text(v.snap.last_kiss)), 1);
        }
    }

    const CounterTotals& c = m.server;
    w.family("ntpd_lite_server_received_total", "counter",
             "Datagrams received by the NTP server sockets");
    w.sample("ntpd_lite_server_received_total", "", static_cast<double>(c.received));
    w.family("ntpd_lite_server_requests_total", "counter", "Server requests by outcome");
    const std::pair<const char*, uint64_t> outcomes[] = {
        {"served", c.answered},
        {"kod_rate", c.kod_rate},
        {"rate_limited", c.rate_limited},
        {"rate_dropped", c.dropped_rate},
        {"denied", c.dropped_denied},
        {"malformed", c.dropped_malformed},
        {"control", c.dropped_control},
        {"not_client", c.dropped_not_client},
        {"send_error", c.send_errors},
        // Authentication: failures are dropped (never answered unauthenticated).
        {"auth_unknown_key", c.auth_unknown_key},
        {"auth_bad_mac", c.auth_bad_mac},
        {"auth_malformed", c.auth_malformed},
        {"auth_unsupported", c.auth_unsupported},
    };
    for (const auto& [name, v] : outcomes) {
        w.sample("ntpd_lite_server_requests_total", label("outcome", name), static_cast<double>(v));
    }
    w.family("ntpd_lite_server_auth_replies_total", "counter",
             "Replies sent with a MAC (included in served and kod_rate)");
    w.sample("ntpd_lite_server_auth_replies_total", "", static_cast<double>(c.auth_replies));
    w.family("ntpd_lite_server_nts_naks_total", "counter",
             "NTS NAKs sent for unknown cookies or bad authenticators (included in served)");
    w.sample("ntpd_lite_server_nts_naks_total", "", static_cast<double>(c.auth_nts_nak));
    if (m.nts_server) nts_ke_server_metrics(w, *m.nts_server, s.now_unix_ns);
    w.family("ntpd_lite_control_requests_total", "counter", "Mode 6 (control) requests by outcome");
    const std::pair<const char*, uint64_t> control[] = {{"answered", m.control.answered},
                                                        {"denied", m.control.denied},
                                                        {"malformed", m.control.malformed},
                                                        {"overloaded", m.control.overloaded}};
    for (const auto& [name, v] : control) {
        w.sample("ntpd_lite_control_requests_total", label("outcome", name),
                 static_cast<double>(v));
    }
    return w.take();
}

}  // namespace ntplite::daemon
