#include "daemon/policy/monitor/control_snapshot.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ntplite::daemon {
namespace {}  // namespace

MonitorSnapshot snapshot_from_engine(const clock::SyncEngine& engine, clock::LocalTime now) {
    MonitorSnapshot m;
    SystemSnapshot& s = m.system;
    const int64_t now_ns = now.ns;
    s.state = engine.system_state(now);
    s.status = engine.status(now);
    s.synchronized = s.status.state == clock::SyncState::kSynchronized;
    s.now_unix_ns = now_ns;
    s.frequency_ppm = engine.discipline().frequency_ppm();
    s.clk_jitter_ns = static_cast<int64_t>(std::llround(engine.discipline().residual_rms_ns()));
    s.poll_log2 = engine.discipline().poll_hint_log2();
    if (const auto& u = engine.last_update()) {
        s.offset_ns = u->offset_ns;
        s.last_update_unix_ns = u->time_ns;
    }
    s.system_peer = s.status.system_peer;
    s.sys_jitter_ns = engine.system_jitter_ns();
    int8_t min_poll = 17;
    for (clock::SourceSnapshot& snap : engine.snapshot(now)) {
        SourceView v;
        v.address = snap.address.to_string();
        v.port = snap.port;
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
            v.dispersion_ns = snap.dispersion_ns;
        }
        v.snap = std::move(snap);
        m.sources.push_back(std::move(v));
    }
    if (min_poll <= 17 && !m.sources.empty()) s.min_poll_log2 = min_poll;
    return m;
}

}  // namespace ntplite::daemon
