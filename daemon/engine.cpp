#include "daemon/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <csignal>
#include <thread>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>

#include "config/os/config_file.hpp"
#include "config/os/key_file.hpp"
#include "daemon/common/log_setup.hpp"
#include "daemon/control/control_socket.hpp"
#include "daemon/nts/client_source.hpp"
#include "daemon/nts/tls.hpp"
#include "daemon/policy/reload/reload_plan.hpp"
#include "daemon/policy/server/serve.hpp"
#include "daemon/server/listen.hpp"
#include "daemon/server/port_owner.hpp"
#include "sysutil/clock_read.hpp"
#include "sysutil/random.hpp"

namespace ntplite::daemon {

int8_t measure_precision_log2() {
    // The smallest non-zero step between consecutive reads bounds both the resolution and the
    // cost of reading the clock.
    int64_t best = INT64_MAX;
    int64_t prev = sysutil::realtime_ns();
    for (int i = 0; i < 200; ++i) {
        int64_t now = sysutil::realtime_ns();
        if (now > prev && now - prev < best) best = now - prev;
        prev = now;
    }
    if (best == INT64_MAX) best = 1;
    int8_t log2 = -30;  // 1 ns ~ 2^-30 s
    while (log2 < 0 && (int64_t{1'000'000'000} >> -log2) < best) ++log2;
    return log2;
}

Engine::Engine(config::Config cfg)
    : cfg_(std::move(cfg)), precision_log2_(measure_precision_log2()) {}

Engine::~Engine() {
    for (auto& w : workers_) w->stop();
}

Engine::FileStamp Engine::stamp_of(const std::string& path) {
    FileStamp f;
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return f;
    f.exists = true;
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    f.size = static_cast<uint64_t>(st.st_size);
    f.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    f.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
    return f;
}

std::expected<void, StartError> Engine::load_keys() {
    if (cfg_.auth.keyfile.empty()) return {};
    keyfile_stamp_ = stamp_of(cfg_.auth.keyfile);  // before the read: a later change is seen
    auto loaded = config::load_key_file(cfg_.auth.keyfile);
    if (!loaded) {
        std::string msg;
        for (const auto& e : loaded.error()) msg += (msg.empty() ? "" : "\n") + e;
        return std::unexpected(StartError{ExitCode::kStartup, msg});
    }
    for (const auto& w : loaded->warnings) spdlog::warn("{}", w);
    keys_ = std::move(loaded->keys);
    // A source whose key is not in the file could never be authenticated: refuse to start.
    for (const auto& s : cfg_.sources) {
        if (s.key && !keys_->find(*s.key))
            return std::unexpected(StartError{
                ExitCode::kStartup, fmt::format("{}:{}: [[source]] key {} is not in {}", cfg_.file,
                                                s.pos.line, *s.key, cfg_.auth.keyfile)});
    }
    spdlog::info("loaded {} symmetric key(s) from {}", keys_->size(), cfg_.auth.keyfile);
    return {};
}

std::expected<void, StartError> Engine::open_servers() {
    for (std::size_t s = 0; s < cfg_.servers.size(); ++s) {
        const config::ServerConfig& server = cfg_.servers[s];
        auto endpoints = resolve_listen(server.listen);
        if (!endpoints)
            return std::unexpected(StartError{ExitCode::kStartup, cfg_.file + ": [[server]] " +
                                                                      server.listen.to_string() +
                                                                      ": " + endpoints.error()});
        // Another process on the address: SO_REUSEPORT would let us share its port (and split
        // its clients with it) when it uses the option too, so look before binding.
        for (const Endpoint& e : *endpoints) {
            if (auto users = udp_port_users(e, socket_inodes_of(0)); !users.empty())
                return std::unexpected(
                    StartError{ExitCode::kAlreadyRunning, describe_port_users(e, users)});
        }
        acls_.push_back(std::make_shared<const Acl>(cfg_.access_for(server)));
        worker_begin_.push_back(workers_.size());
        unsigned threads =
            server.threads != 0 ? server.threads : std::thread::hardware_concurrency();
        if (threads == 0) threads = 1;
        asio::io_context* shared_io = nullptr;
#if defined(NTPLITE_SIMULATOR_COMPAT)
        // Simulator-compatible build: everything on the engine's one thread and io_context.
        if (server.threads > 1)
            spdlog::warn("[[server]] threads = {} ignored: this build runs on one thread",
                         server.threads);
        threads = 1;
        shared_io = &io_;
#endif
        for (unsigned t = 0; t < threads; ++t) {
            const uint64_t seed = sysutil::random_u64();  // rate limiter hash key
            auto worker = std::make_unique<ServerWorker>(
                "server" + std::to_string(s) + "." + std::to_string(t), acls_.back(),
                cfg_.ratelimit, state_, seed, shared_io);
            for (const Endpoint& e : *endpoints) {
                if (auto ok = worker->add_endpoint(e); !ok)
                    return std::unexpected(StartError{ExitCode::kStartup, ok.error()});
            }
            worker->set_control(control_->udp());
            worker->set_keys(keys_);
            if (nts_server_) worker->set_nts(&nts_server_->keys());
            workers_.push_back(std::move(worker));
        }
        // Two daemons starting at once both pass the first look; whoever sees the other after
        // binding gives up.
        for (const Endpoint& e : *endpoints) {
            if (auto users = udp_port_users(e, socket_inodes_of(0)); !users.empty())
                return std::unexpected(
                    StartError{ExitCode::kAlreadyRunning, describe_port_users(e, users)});
        }
        std::string where;
        for (const Endpoint& e : *endpoints) where += (where.empty() ? "" : ", ") + e.to_string();
        spdlog::info("serving NTP on {} with {} thread(s){}{}", where, threads,
                     cfg_.access_for(server).allow.empty() && cfg_.access_for(server).deny.empty()
                         ? ""
                         : ", access lists active",
                     cfg_.ratelimit.enabled ? ", rate limited" : "");
    }
    worker_begin_.push_back(workers_.size());
    return {};
}

std::expected<void, StartError> Engine::start(BeforeThreadsFn before_threads) {
    {
        // Until the sync core's first word (below, before any worker answers a request).
        proto::SystemState unsync;
        unsync.precision_log2 = precision_log2_;
        state_.publish(unsync);
    }
    control_ = std::make_unique<ControlService>(
        io_, cfg_,
        ControlService::Sources{
            &state_, [this] { return sync_.get(); }, [this] { return totals(); },
            [this](std::vector<ClientRecord>& out, std::size_t* slots, uint64_t* evictions) {
                for (const auto& w : workers_) {
                    w->clients().copy_to(out);
                    *slots += w->clients().slots();
                    *evictions += w->clients().evictions();
                }
            },
            [this]() -> std::optional<NtsKeServerTotals> {
                if (!nts_server_) return std::nullopt;
                return nts_server_->totals();
            }});
    if (!cfg_.nts.certificate.empty()) {
        // Before the privilege drop: the key file, certificate and key, port 4460.
        const uint16_t ntp_port = cfg_.servers.empty() ? 0 : cfg_.servers.front().listen.port;
        nts_server_ = std::make_unique<nts::ServerService>(io_, cfg_.nts, ntp_port);
        certificate_stamp_ = stamp_of(cfg_.nts.certificate);
        private_key_stamp_ = stamp_of(cfg_.nts.private_key);
        if (auto ok = nts_server_->open(); !ok)
            return std::unexpected(StartError{ExitCode::kStartup, "[nts]: " + ok.error()});
    }
    if (auto ok = load_keys(); !ok) return ok;
    if (auto ok = open_servers(); !ok) return ok;
    if (cfg_.servers.empty()) spdlog::info("no [[server]] table: not serving time");
    if (!cfg_.control.socket.empty()) {
        if (auto owner = live_socket_owner(cfg_.control.socket)) {
            return std::unexpected(StartError{ExitCode::kAlreadyRunning,
                                              "control socket " + cfg_.control.socket +
                                                  " is in use by " +
                                                  (*owner > 0 ? "pid " + std::to_string(*owner)
                                                              : std::string("another process")) +
                                                  " (another ntpd-lite?)"});
        }
    }
    if (auto ok = control_->start(); !ok)
        return std::unexpected(StartError{ExitCode::kStartup, ok.error()});
    // Always present, even without [[source]]: the core alone decides what is served (the
    // [local] fallback or "unsynchronized" included). The clock and the drift file are opened
    // here, still as root; polling starts after the privilege drop.
    sync_ = std::make_unique<SyncClient>(
        io_, cfg_, [this](const proto::SystemState& s) { publish_state(s); }, precision_log2_);
    auth::ClientAuthContext auth_ctx;
    auth_ctx.keys = keys_;
    sync_->set_auth_context(std::move(auth_ctx));
    if (before_threads) {
        if (auto ok = before_threads(); !ok) return ok;
    }
    for (auto& w : workers_) w->start();
    if (nts_server_) nts_server_->start();
    signals_.emplace(
        io_, [this](int signal) { shutdown(signal); },
        [this] {
            spdlog::info("server counters: {}", totals().to_string());
            if (sync_) sync_->log_state();
        },
        [this] { reload(); });
    schedule_summary();
    sync_->start();
    notifier_.ready(status_text());
    if (notifier_.watchdog_interval_us() > 0) schedule_watchdog();
    return {};
}

void Engine::publish_state(const proto::SystemState& s) {
    state_.publish(s);
    notifier_.status(status_text());  // sent only when the text changed
}

std::string Engine::status_text() const {
    if (!sync_) return "starting";
    const clock::SystemStatus st = sync_->status();
    const proto::SystemState served = state_.read();
    switch (st.state) {
        case clock::SyncState::kSynchronized: {
            std::string peer = "?";
            if (st.system_peer) {
                if (const clock::Source* src = sync_->engine().source(*st.system_peer))
                    peer = src->config().name;
            }
            return "synchronized to " + peer + " (stratum " + std::to_string(served.stratum) + ")";
        }
        case clock::SyncState::kHoldover:
            return std::string("holdover (") + clock::to_string(st.reason) +
                   "): still serving stratum " + std::to_string(served.stratum);
        case clock::SyncState::kLocal:
            return std::string("no source (") + clock::to_string(st.reason) +
                   "): serving the local clock at stratum " + std::to_string(served.stratum);
        case clock::SyncState::kUnsynchronized:
            break;
    }
    return std::string("unsynchronized: ") + clock::to_string(st.reason);
}

void Engine::schedule_watchdog() {
    watchdog_timer_.expires_after(std::chrono::microseconds(notifier_.watchdog_interval_us()));
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        notifier_.watchdog();  // proof that the engine thread still runs its handlers
        schedule_watchdog();
    });
}

bool Engine::reload() {
    notifier_.reloading();
    spdlog::info("SIGHUP: reloading {}", cfg_.file);
    auto loaded = config::load_file(cfg_.file);
    if (!loaded) {
        for (const auto& e : loaded.error()) spdlog::error("reload: {}", e.to_string());
        spdlog::error(
            "reload refused: {} has {} error(s); the running configuration stays in "
            "force",
            cfg_.file, loaded.error().size());
        notifier_.ready(status_text());
        return false;
    }
    config::Config next = std::move(*loaded);

    // Everything the new configuration reads besides itself, read before anything changes.
    ReloadFacts facts;
    std::shared_ptr<const auth::KeySet> next_keys = keys_;
    FileStamp next_keyfile_stamp = keyfile_stamp_;
    if (next.auth.keyfile.empty()) {
        facts.keyfile_changed = !cfg_.auth.keyfile.empty();
        next_keys.reset();
        next_keyfile_stamp = {};
    } else {
        next_keyfile_stamp = stamp_of(next.auth.keyfile);
        if (next.auth.keyfile != cfg_.auth.keyfile || next_keyfile_stamp != keyfile_stamp_) {
            auto keys = config::load_key_file(next.auth.keyfile);
            if (!keys) {
                facts.keyfile_errors = keys.error();
                if (next_keyfile_stamp.exists && ::access(next.auth.keyfile.c_str(), R_OK) != 0)
                    facts.keyfile_errors.push_back(
                        fmt::format("{}: a reload reads it as the daemon's user ([daemon] user): "
                                    "make it readable by that user's group (mode 0640)",
                                    next.auth.keyfile));
            } else {
                for (const auto& w : keys->warnings) spdlog::warn("reload: {}", w);
                next_keys = std::move(keys->keys);
                facts.keyfile_changed = true;
            }
        }
    }
    facts.keys = next_keys.get();
    std::shared_ptr<nts::ssl::context> next_tls;
    FileStamp next_cert_stamp = certificate_stamp_, next_pkey_stamp = private_key_stamp_;
    if (nts_server_ && nts_server_stays(cfg_, next)) {
        next_cert_stamp = stamp_of(next.nts.certificate);
        next_pkey_stamp = stamp_of(next.nts.private_key);
        if (next.nts.certificate != cfg_.nts.certificate ||
            next.nts.private_key != cfg_.nts.private_key || next_cert_stamp != certificate_stamp_ ||
            next_pkey_stamp != private_key_stamp_) {
            auto tls = nts::make_server_context(next.nts.certificate, next.nts.private_key);
            if (!tls) {
                facts.certificate_errors.push_back(tls.error());
            } else {
                next_tls = std::move(*tls);
                facts.certificate_changed = true;
            }
        }
    }

    const ReloadPlan plan = plan_reload(cfg_, next, facts);
    if (!plan.refused.empty()) {
        for (const std::string& e : plan.refused) spdlog::error("reload: {}", e);
        spdlog::error(
            "reload refused: {} error(s); the running configuration and keys stay in force",
            plan.refused.size());
        notifier_.ready(status_text());
        return false;
    }
    // What needs a restart keeps its running value, so cfg_ always says what is in force.
    config::Config old = std::exchange(cfg_, keep_restart_only(cfg_, std::move(next)));
    set_log_level(cfg_.log.level);
    spdlog::debug("reload: log level {}, {} source table(s), {} server table(s)",
                  config::to_string(cfg_.log.level), cfg_.sources.size(), cfg_.servers.size());
    // Access lists and rate limits: new shared ACLs per [[server]] table, applied by each
    // worker on its own thread.
    for (std::size_t s = 0; s < cfg_.servers.size() && s < acls_.size(); ++s) {
        acls_[s] = std::make_shared<const Acl>(cfg_.access_for(cfg_.servers[s]));
        for (std::size_t w = worker_begin_[s]; w < worker_begin_[s + 1]; ++w)
            workers_[w]->reconfigure(acls_[s], cfg_.ratelimit);
    }
    if (facts.keyfile_changed) {
        keys_ = next_keys;
        keyfile_stamp_ = next_keyfile_stamp;
        for (auto& w : workers_) w->replace_keys(keys_);
        sync_->replace_keys(keys_);
        spdlog::info("reload: {} symmetric key(s){}{}", keys_ ? keys_->size() : 0,
                     cfg_.auth.keyfile.empty() ? "" : " from ", cfg_.auth.keyfile);
    }
    if (nts_server_) {
        if (next_tls) {
            certificate_stamp_ = next_cert_stamp;
            private_key_stamp_ = next_pkey_stamp;
        }
        nts_server_->reload(cfg_.nts, std::move(next_tls));
    }
    // NTS sources created by this reload read their trusted CA files anew.
    nts::forget_client_contexts();
    sync_->apply_sources(cfg_.sources);
    if (auto ok = control_->reload(old); !ok) {
        spdlog::error("reload: {}", ok.error());
    } else {
        std::string extra;
        for (const std::string& a : plan.applied) extra += ", " + a;
        spdlog::info(
            "reload: applied [log], [[source]], [access] and [[server]] allow/deny, "
            "[ratelimit], [control], [metrics]{}",
            extra);
    }
    for (const std::string& r : plan.restart)
        spdlog::warn("reload: {} changed but needs a restart; the running value stays", r);
    notifier_.ready(status_text());
    return true;
}

void Engine::schedule_summary() {
    summary_timer_.expires_after(std::chrono::seconds(kSummaryInterval_s));
    summary_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        spdlog::debug("server counters: {}", totals().to_string());
        schedule_summary();
    });
}

void Engine::run() {
    io_.run();
}

void Engine::stop() {
    asio::post(io_, [this] { shutdown(0); });
}

void Engine::shutdown(int signal) {
    if (signal != 0) spdlog::info("received signal {}, shutting down", signal);
    notifier_.stopping();
    watchdog_timer_.cancel();
    for (auto& w : workers_) w->stop();
    summary_timer_.cancel();
    if (signals_) signals_->cancel();
    if (sync_) sync_->stop();
    if (control_) control_->stop();
    spdlog::info("server counters: {}", totals().to_string());
    io_.stop();
}

CounterTotals Engine::totals() const {
    CounterTotals t;
    for (const auto& w : workers_) t.add(w->counters());
    return t;
}

}  // namespace ntplite::daemon
