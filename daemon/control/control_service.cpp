#include "daemon/control/control_service.hpp"

#include "daemon/control/metrics_http.hpp"
#include "daemon/control/platform.hpp"
#include "daemon/policy/monitor/control_json.hpp"
#include "daemon/server/server_worker.hpp"
#include "daemon/sync/sync_client.hpp"
#include "ntplite/version.hpp"

namespace ntplite::daemon {
namespace {

/// The local address the kernel would send from towards `address`:`port` (connect() on a UDP
/// socket sends nothing, it only picks the route). "0.0.0.0" when it cannot tell. Uses the
/// engine's io_context: a temporary one would cost a reactor (and, in the simulator-compatible
/// build, an interrupter pipe) per lookup.
std::string local_address_towards(asio::io_context& io, const std::string& address, uint16_t port) {
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(address, ec);
    if (ec) return "0.0.0.0";
    asio::ip::udp::socket sock(io);
    sock.open(addr.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
    if (!ec) sock.connect(asio::ip::udp::endpoint(addr, port), ec);
    if (ec) return "0.0.0.0";
    const auto local = sock.local_endpoint(ec);
    return ec ? std::string("0.0.0.0") : local.address().to_string();
}

}  // namespace

ControlService::ControlService(asio::io_context& io, const config::Config& cfg, Sources sources)
    : io_(io),
      cfg_(cfg),
      sources_(std::move(sources)),
      udp_(io, cfg.control.allow, [this] { return snapshot(); }),
      socket_(
          io, [this] { return snapshot(); }, [this] { return resync(); },
          sources_.clients ? ControlSocket::ClientsFn([this] { return clients_text(); })
                           : ControlSocket::ClientsFn{}),
      history_timer_(io) {
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
        metrics_ = std::make_unique<MetricsHttp>(
            io_, [this] { return snapshot(); },
            [this](int64_t now_ns) { return history_.points(now_ns); });
        if (auto ok = metrics_->open(*cfg_.metrics.listen); !ok) return ok;
    }
    sample_history();
    return {};
}

std::expected<void, std::string> ControlService::reload(const config::Config& old) {
    udp_.set_allow(cfg_.control.allow);
    std::string errors;
    if (old.control.socket != cfg_.control.socket ||
        old.control.socket_mode != cfg_.control.socket_mode) {
        socket_.close();
        if (!cfg_.control.socket.empty()) {
            if (auto ok = socket_.open(cfg_.control.socket, cfg_.control.socket_mode); !ok)
                errors += ok.error();
        }
    }
    const auto listen_text = [](const config::MetricsConfig& m) {
        return m.listen ? m.listen->to_string() : std::string();
    };
    if (listen_text(old.metrics) != listen_text(cfg_.metrics)) {
        if (metrics_) metrics_->close();
        metrics_.reset();
        if (cfg_.metrics.listen) {
            metrics_ = std::make_unique<MetricsHttp>(io_, [this] { return snapshot(); });
            if (auto ok = metrics_->open(*cfg_.metrics.listen); !ok)
                errors += (errors.empty() ? "" : "; ") + ok.error();
        }
    }
    if (!errors.empty()) return std::unexpected(errors);
    return {};
}

void ControlService::sample_history() {
    if (sources_.sync && sources_.sync()) {
        const MonitorSnapshot m = snapshot();
        const int64_t t = m.system.last_update_unix_ns;
        if (t != 0 && t != last_sampled_update_ns_) {
            // A clock update older than the last one recorded: the clock was stepped back.
            if (t < last_sampled_update_ns_) history_.clear();
            history_.add(HistoryPoint{t, m.system.offset_ns, m.system.sys_jitter_ns,
                                      m.system.frequency_ppm, 1});
            last_sampled_update_ns_ = t;
        }
    }
    history_timer_.expires_after(std::chrono::seconds(1));
    history_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) sample_history();
    });
}

std::string ControlService::clients_text() const {
    std::vector<ClientRecord> all;
    std::size_t slots = 0;
    uint64_t evictions = 0;
    sources_.clients(all, &slots, &evictions);
    const auto merged = merge_clients(std::move(all), kMaxClientsListed);
    return clients_json(merged, monotonic_ns(), slots, evictions).dump();
}

void ControlService::stop() {
    history_timer_.cancel();
    socket_.close();
    if (metrics_) metrics_->close();
}

MonitorSnapshot ControlService::snapshot() const {
    MonitorSnapshot m;
    SyncClient* sync = sources_.sync ? sources_.sync() : nullptr;
    if (sync) {
        m = snapshot_from_engine(sync->engine(), clock::LocalTime{sync->clock_now_ns()});
        // Unresolved names get association ids after every engine source's (mode 6 needs
        // them unique; engine ids count up from 0 and are never reused).
        clock::SourceId next_id = sync->engine().source_count() + 1;
        for (const UnresolvedSource& u : sync->unresolved()) {
            SourceView v;
            v.snap.id = next_id++;
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
    m.system.version = "ntpd-lite " + std::string(kVersion) +
                       std::string(m.system.observe_only ? " (observe mode)" : "");
    m.system.processor = platform_.processor;
    m.system.system = platform_.system;
    // ntpq's dstadr: our address towards each source (cached: routes rarely change, and mode 6
    // queries must not cost a socket per source each).
    for (SourceView& v : m.sources) {
        const std::string key = v.address + "|" + std::to_string(v.port);
        auto it = local_addresses_.find(key);
        if (it == local_addresses_.end()) {
            if (local_addresses_.size() >= kMaxCachedRoutes) local_addresses_.clear();
            it = local_addresses_.emplace(key, local_address_towards(io_, v.address, v.port)).first;
        }
        v.local_address = it->second;
    }
    if (sources_.server_counters) m.server = sources_.server_counters();
    if (sources_.nts_server) m.nts_server = sources_.nts_server();
    m.control = udp_.totals();
    return m;
}

std::expected<std::size_t, std::string> ControlService::resync() {
    SyncClient* sync = sources_.sync ? sources_.sync() : nullptr;
    if (!sync || !sync->has_sources())
        return std::unexpected("no [[source]] configured: nothing to resynchronize from");
    const bool names_pending = !sync->unresolved().empty();
    const std::size_t n = sync->resync();  // also resolves unresolved names again
    if (n == 0 && !names_pending)
        return std::unexpected(
            "no source polled: all demobilized or still resolving, or resynchronized less than a "
            "minimum poll interval ago");
    return n;
}

}  // namespace ntplite::daemon
