#include "daemon/control/control_service.hpp"

#include "daemon/control/metrics_http.hpp"
#include "daemon/control/platform.hpp"
#include "daemon/server/server_worker.hpp"
#include "daemon/sync/sync_client.hpp"

namespace ntplite::daemon {

ControlService::ControlService(asio::io_context& io, const config::Config& cfg, Sources sources)
    : io_(io),
      cfg_(cfg),
      sources_(std::move(sources)),
      udp_(io, cfg.control.allow, [this] { return snapshot(); }),
      socket_(
          io, [this] { return snapshot(); }, [this] { return resync(); }) {
    fill_platform(platform_);
}

ControlService::~ControlService() {
    stop();
}

std::expected<void, std::string> ControlService::start() {
    if (!cfg_.control.socket.empty()) {
        if (auto ok = socket_.open(cfg_.control.socket, cfg_.control.socket_mode); !ok) return ok;
    }
    if (cfg_.metrics.listen) {
        metrics_ = std::make_unique<MetricsHttp>(io_, [this] { return snapshot(); });
        if (auto ok = metrics_->open(*cfg_.metrics.listen); !ok) return ok;
    }
    return {};
}

void ControlService::stop() {
    socket_.close();
    if (metrics_) metrics_->close();
}

MonitorSnapshot ControlService::snapshot() const {
    MonitorSnapshot m;
    SyncClient* sync = sources_.sync ? sources_.sync() : nullptr;
    if (sync) {
        m = snapshot_from_engine(sync->engine(), clock::LocalTime{sync->clock_now_ns()});
        for (const UnresolvedSource& u : sync->unresolved()) {
            SourceView v;
            v.address = u.host;
            v.port = u.port;
            v.unresolved_error = u.error;
            v.snap.name = u.host;
            m.sources.push_back(std::move(v));
        }
    } else {
        m.system.now_unix_ns = realtime_ns();
    }
    // What clients are actually told (the [local] fallback included) is the system's truth.
    m.system.state = sources_.state->read();
    const auto& st = m.system.state;
    m.system.synchronized =
        st.leap != proto::LeapIndicator::kUnsynchronized && st.stratum > 0 && st.stratum < 16;
    if (!m.system.synchronized) m.system.system_peer.reset();
    m.system.observe_only = cfg_.clock.mode == config::ClockMode::kObserve;
    m.system.version = "ntpd-lite" + std::string(m.system.observe_only ? " (observe mode)" : "");
    m.system.processor = platform_.processor;
    m.system.system = platform_.system;
    if (sources_.server_counters) m.server = sources_.server_counters();
    m.control = udp_.totals();
    return m;
}

std::expected<std::size_t, std::string> ControlService::resync() {
    SyncClient* sync = sources_.sync ? sources_.sync() : nullptr;
    if (!sync) return std::unexpected("no [[source]] configured: nothing to resynchronize from");
    const std::size_t n = sync->resync();
    if (n == 0) return std::unexpected("no usable source (all demobilized or still resolving)");
    return n;
}

}  // namespace ntplite::daemon
