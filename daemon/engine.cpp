#include "daemon/engine.hpp"

#include <spdlog/spdlog.h>

#include <bit>
#include <csignal>
#include <thread>

#include "daemon/policy/server/serve.hpp"
#include "daemon/server/listen.hpp"
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

std::expected<void, std::string> Engine::start() {
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
            }});
    for (std::size_t s = 0; s < cfg_.servers.size(); ++s) {
        const config::ServerConfig& server = cfg_.servers[s];
        auto endpoints = resolve_listen(server.listen);
        if (!endpoints)
            return std::unexpected(cfg_.file + ": [[server]] " + server.listen.to_string() + ": " +
                                   endpoints.error());
        acls_.push_back(std::make_unique<Acl>(cfg_.access_for(server)));
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
                "server" + std::to_string(s) + "." + std::to_string(t), *acls_.back(),
                cfg_.ratelimit, state_, seed, shared_io);
            for (const Endpoint& e : *endpoints) {
                if (auto ok = worker->add_endpoint(e); !ok) return std::unexpected(ok.error());
            }
            worker->set_control(control_->udp());
            workers_.push_back(std::move(worker));
        }
        std::string where;
        for (const Endpoint& e : *endpoints) where += (where.empty() ? "" : ", ") + e.to_string();
        spdlog::info("serving NTP on {} with {} thread(s){}{}", where, threads,
                     cfg_.access_for(server).allow.empty() && cfg_.access_for(server).deny.empty()
                         ? ""
                         : ", access lists active",
                     cfg_.ratelimit.enabled ? ", rate limited" : "");
    }
    if (cfg_.servers.empty()) spdlog::info("no [[server]] table: not serving time");
    for (auto& w : workers_) w->start();
    signals_.emplace(
        io_, [this](int signal) { shutdown(signal); },
        [this] {
            spdlog::info("server counters: {}", totals().to_string());
            if (sync_) sync_->log_state();
        });
    schedule_summary();
    if (auto ok = control_->start(); !ok) return std::unexpected(ok.error());
    // Always present, even without [[source]]: the core alone decides what is served (the
    // [local] fallback or "unsynchronized" included).
    sync_ = std::make_unique<SyncClient>(
        io_, cfg_, [this](const proto::SystemState& s) { state_.publish(s); }, precision_log2_);
    sync_->start();
    return {};
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
