#include "daemon/policy/monitor/control_snapshot.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ntplite::daemon {
namespace {

/// Splits "host:port" / "[v6]:port" / "host" as written in SourceConfig::name.
void split_name(const std::string& name, std::string* host, uint16_t* port) {
    *host = name;
    std::string_view rest;
    if (!name.empty() && name.front() == '[') {
        const auto close = name.find(']');
        if (close == std::string::npos) return;
        *host = name.substr(1, close - 1);
        if (close + 1 < name.size() && name[close + 1] == ':')
            rest = std::string_view(name).substr(close + 2);
    } else if (std::count(name.begin(), name.end(), ':') == 1) {
        const auto colon = name.find(':');
        *host = name.substr(0, colon);
        rest = std::string_view(name).substr(colon + 1);
    }
    unsigned p = 0;
    if (!rest.empty() &&
        std::from_chars(rest.data(), rest.data() + rest.size(), p).ec == std::errc{} && p > 0 &&
        p <= 65535) {
        *port = static_cast<uint16_t>(p);
    }
}

}  // namespace

MonitorSnapshot snapshot_from_engine(const clock::SyncEngine& engine, int64_t now_ns) {
    MonitorSnapshot m;
    SystemSnapshot& s = m.system;
    s.state = engine.system_state(now_ns);
    s.synchronized = engine.synchronized();
    s.now_unix_ns = now_ns;
    s.frequency_ppm = engine.discipline().frequency_ppm();
    s.clk_jitter_ns = static_cast<int64_t>(std::llround(engine.discipline().residual_rms_ns()));
    s.poll_log2 = engine.discipline().poll_hint_log2();
    if (const auto& u = engine.last_update()) {
        s.offset_ns = u->offset_ns;
        s.last_update_unix_ns = u->time_ns;
        s.system_peer = u->system_peer;
    }
    if (!s.synchronized) s.system_peer.reset();
    int8_t min_poll = 17;
    for (clock::SourceSnapshot& snap : engine.snapshot(now_ns)) {
        SourceView v;
        split_name(snap.name, &v.address, &v.port);
        v.local_address = "0.0.0.0";
        if (const clock::Source* src = engine.source(snap.id)) {
            v.min_poll_log2 = src->config().minpoll_log2;
            v.max_poll_log2 = src->config().maxpoll_log2;
            min_poll = std::min(min_poll, v.min_poll_log2);
            v.requests_sent = src->requests_sent();
            if (const auto& h = src->last_header()) {
                v.leap = h->leap;
                v.precision_log2 = h->precision_log2;
                v.root_delay_ns = h->root_delay.to_ns();
                v.root_dispersion_ns = h->root_dispersion.to_ns();
                v.reference_time = h->reference;
            }
            if (auto f = src->filter().current(now_ns)) v.dispersion_ns = f->dispersion_ns;
        }
        if (s.system_peer && *s.system_peer == snap.id) s.system_peer = snap.id;
        v.snap = std::move(snap);
        m.sources.push_back(std::move(v));
    }
    if (min_poll <= 17 && !m.sources.empty()) s.min_poll_log2 = min_poll;
    // The combined sources' spread: the selected source's jitter is the best single figure
    // SyncEngine exposes today.
    for (const SourceView& v : m.sources) {
        if (v.snap.state == clock::SourceState::kSelected) s.sys_jitter_ns = v.snap.jitter_ns;
    }
    return m;
}

void fill_platform(SystemSnapshot& system) {
    utsname u{};
    if (uname(&u) != 0) return;
    system.processor = u.machine;
    system.system = std::string(u.sysname) + "/" + u.release;
}

}  // namespace ntplite::daemon
