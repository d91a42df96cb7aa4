#include "tests/sim/sim.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <string>

#include "clock/random.hpp"
#include "proto/packet.hpp"
#include "proto/respond.hpp"

namespace ntplite::sim {

namespace {

enum class EvKind : uint8_t { kTimer, kAtServer, kAtClient };

struct Event {
    int64_t t_ns;
    uint64_t seq;
    EvKind kind;
    std::size_t server;
    uint64_t generation;  // timers: only the latest per source counts
    std::array<std::byte, proto::kHeaderSize> bytes;
    bool operator>(const Event& o) const { return t_ns != o.t_ns ? t_ns > o.t_ns : seq > o.seq; }
};

class Simulation {
  public:
    explicit Simulation(const ScenarioParams& p)
        : p_(p),
          clock_(p.client, 0),
          core_rng_(p.seed * 7919 + 1),
          net_rng_(p.seed * 104729 + 3),
          engine_(p.engine, clock_, core_rng_, clock_.frequency_ppm()) {
        m_.selected_samples.assign(p.servers.size(), 0);
        m_.requests.assign(p.servers.size(), 0);
        m_.request_times_ns.resize(p.servers.size());
        m_.final_poll_log2.assign(p.servers.size(), 0);
        timer_gen_.assign(p.servers.size(), 0);
        ids_.resize(p.servers.size());
        for (std::size_t i = 0; i < p.servers.size(); ++i) {
            const ServerParams& s = p.servers[i];
            clock::SourceConfig sc;
            sc.name = s.name;
            sc.address_refid =
                s.address_refid ? s.address_refid : static_cast<uint32_t>(0x0a000001 + i);
            sc.minpoll_log2 = s.minpoll_log2;
            sc.maxpoll_log2 = s.maxpoll_log2;
            sc.iburst = s.iburst;
            sc.prefer = s.prefer;
            absorb(engine_.add_source(sc, clock::LocalTime{clock_.now_ns()}, &ids_[i]));
        }
    }

    RunMetrics run() {
        double sum_sq_off = 0, sum_sq_freq = 0, sum_sq_freq_tight = 0;
        int64_t n_metric = 0, n_tight = 0;
        std::optional<clock::SourceId> last_peer;
        for (int64_t tick = kSecond; tick <= p_.duration_ns; tick += kSecond) {
            // SimulatedClock::advance_to() runs the driver's end-of-slew timer on the way.
            while (!queue_.empty() && queue_.top().t_ns <= tick) {
                Event e = queue_.top();
                queue_.pop();
                dispatch(e);
            }
            advance(tick);
            if (m_.first_update_ns < 0 && engine_.updates() > 0)
                m_.first_update_ns = clock_.true_now_ns();
            double off = clock_.offset_from_true_ns();
            double freq = clock_.residual_frequency_ppm();
            if (tick >= p_.tight_from_ns) {
                m_.max_abs_offset_after_tight_ns =
                    std::max(m_.max_abs_offset_after_tight_ns, std::abs(off));
                sum_sq_freq_tight += freq * freq;
                ++n_tight;
            }
            if (std::abs(off) >= 1e6) {
                m_.settle_ns = tick + kSecond;
                if (m_.first_tight_ns >= 0) ++m_.excursions_after_tight;
            } else if (m_.first_tight_ns < 0) {
                m_.first_tight_ns = tick;
            }
            m_.offset_at_s.push_back(off);
            if (engine_.updates() > 0 &&
                engine_.system_state(clock::LocalTime{clock_.now_ns()}).leap ==
                    proto::LeapIndicator::kUnsynchronized)
                ++m_.unsynchronized_served_after_sync;
            if (tick >= p_.metrics_from_ns) {
                sum_sq_off += off * off;
                sum_sq_freq += freq * freq;
                m_.max_abs_offset_ns = std::max(m_.max_abs_offset_ns, std::abs(off));
                ++n_metric;
            }
            auto peer = engine_.last_update() ? engine_.last_update()->system_peer : std::nullopt;
            if (peer && *peer < m_.selected_samples.size()) ++m_.selected_samples[*peer];
            if (peer != last_peer && peer) m_.peer_changes_ns.push_back(tick);
            m_.peer_at_s.push_back(peer ? static_cast<int64_t>(*peer) : -1);
            last_peer = peer;
        }
        if (n_metric) {
            m_.rms_offset_ns = std::sqrt(sum_sq_off / static_cast<double>(n_metric));
            m_.rms_freq_ppm = std::sqrt(sum_sq_freq / static_cast<double>(n_metric));
        }
        if (n_tight)
            m_.rms_freq_from_tight_ppm =
                std::sqrt(sum_sq_freq_tight / static_cast<double>(n_tight));
        m_.steps = clock_.steps();
        m_.final_sources = engine_.snapshot(clock::LocalTime{clock_.now_ns()});
        for (std::size_t i = 0; i < ids_.size(); ++i)
            if (auto* s = engine_.source(ids_[i])) m_.final_poll_log2[i] = s->poll_log2();
        return m_;
    }

    const clock::SyncEngine& engine() const { return engine_; }

  private:
    int64_t server_time(const ServerParams& s, int64_t true_ns) const {
        return true_ns + s.clock_offset_ns +
               static_cast<int64_t>(s.frequency_error_ppm * 1e-6 * static_cast<double>(true_ns));
    }

    int64_t one_way_delay(const LinkParams& l, bool outbound) {
        double d = static_cast<double>(l.base_delay_ns);
        if (l.exp_jitter_mean_ns > 0)
            d += std::exponential_distribution<double>(1.0 / l.exp_jitter_mean_ns)(net_rng_);
        if (l.normal_jitter_sd_ns > 0)
            d += std::abs(std::normal_distribution<double>(0, l.normal_jitter_sd_ns)(net_rng_));
        if (outbound) d += static_cast<double>(l.asymmetry_ns);
        if (l.spike_probability > 0 &&
            std::uniform_real_distribution<double>(0, 1)(net_rng_) < l.spike_probability)
            d += static_cast<double>(l.spike_ns);
        return static_cast<int64_t>(d);
    }

    bool lost(const LinkParams& l) {
        return l.loss > 0 && std::uniform_real_distribution<double>(0, 1)(net_rng_) < l.loss;
    }

    void push(Event e) {
        e.seq = seq_++;
        queue_.push(e);
    }

    void handle(std::size_t server, const clock::SourceActions& a) {
        int64_t now_true = clock_.true_now_ns();
        if (a.send) {
            const ServerParams& s = p_.servers[server];
            if (!lost(s.link)) {
                // Simulated sources are unauthenticated: the request is the bare header.
                std::array<std::byte, proto::kHeaderSize> header{};
                std::copy_n(a.request.bytes.begin(), header.size(), header.begin());
                push(Event{now_true + one_way_delay(s.link, true), 0, EvKind::kAtServer, server, 0,
                           header});
            }
        }
        if (a.timer_at_ns) {
            int64_t at_true = std::max(now_true, clock_.true_at(*a.timer_at_ns));
            push(Event{at_true, 0, EvKind::kTimer, server, ++timer_gen_[server], {}});
        }
    }

    void advance(int64_t true_ns) {
        if (true_ns >= p_.frequency_jump_at_ns && !jumped_) {
            clock_.advance_to(p_.frequency_jump_at_ns);
            auto& m = clock_.model();
            m.set_intrinsic_frequency_ppm(m.intrinsic_ppm() + p_.frequency_jump_ppm);
            jumped_ = true;
        }
        clock_.advance_to(true_ns);
    }

    /// Carries out a core update: its per-source actions, and its events for the metrics.
    void absorb(const clock::EngineUpdate& up) {
        for (const auto& [id, a] : up.actions) {
            for (std::size_t i = 0; i < ids_.size(); ++i)
                if (ids_[i] == id) handle(i, a);
        }
        m_.events.insert(m_.events.end(), up.events.begin(), up.events.end());
    }

    void dispatch(const Event& e) {
        advance(e.t_ns);
        switch (e.kind) {
            case EvKind::kTimer:
                if (e.generation != timer_gen_[e.server]) return;
                absorb(engine_.on_timer(ids_[e.server], clock::LocalTime{clock_.now_ns()}));
                return;
            case EvKind::kAtServer:
                serve(e);
                return;
            case EvKind::kAtClient: {
                int64_t t4 = clock_.now_ns();
                int before = engine_.updates();
                double true_off_before = clock_.offset_from_true_ns();
                auto r = engine_.on_response(ids_[e.server], e.bytes, clock::LocalTime{t4},
                                             clock::LocalTime{t4});
                if (p_.trace && engine_.updates() != before) {
                    const auto& u = *engine_.last_update();
                    std::printf(
                        "t=%8.1f true_off=%9.1fus meas=%9.1fus adj=%s %9.1fus freq=%9.4f (true "
                        "resid %8.4f) "
                        "poll=%d n_resid=%.1fus win=%zu neff=%.1f\n",
                        static_cast<double>(e.t_ns) * 1e-9, true_off_before * 1e-3,
                        static_cast<double>(u.offset_ns) * 1e-3,
                        clock::to_string(u.adjustment.action),
                        static_cast<double>(u.adjustment.offset_ns) * 1e-3,
                        u.adjustment.frequency_ppm, clock_.residual_frequency_ppm(),
                        engine_.discipline().poll_hint_log2(),
                        engine_.discipline().residual_rms_ns() * 1e-3,
                        engine_.discipline().window_samples(),
                        engine_.discipline().effective_samples());
                }
                absorb(r);
                return;
            }
        }
    }

    void serve(const Event& e) {
        const ServerParams& s = p_.servers[e.server];
        if (e.t_ns >= s.dies_at_ns) return;
        ++m_.requests[e.server];
        m_.request_times_ns[e.server].push_back(e.t_ns);
        auto req = proto::parse(e.bytes);
        if (!req) return;
        proto::SystemState st;
        st.leap = proto::LeapIndicator::kNone;
        st.stratum = s.stratum;
        st.refid = s.refid;
        st.root_delay = proto::NtpShort::from_ns(s.root_delay_ns);
        st.root_dispersion = proto::NtpShort::from_ns(s.root_dispersion_ns);
        st.reference_time =
            proto::NtpTimestamp::from_unix_ns(server_time(s, e.t_ns) - 16 * kSecond);
        Event reply{0, 0, EvKind::kAtClient, e.server, 0, {}};
        std::size_t written = 0;
        int64_t rx = server_time(s, e.t_ns);
        bool kod = e.t_ns >= s.kod_rate_from_ns;
        auto out = proto::respond(*req, proto::NtpTimestamp::from_unix_ns(rx), st, kod, reply.bytes,
                                  &written);
        if (out == proto::RespondOutcome::kIgnoredNotClient || written != proto::kHeaderSize)
            return;
        constexpr int64_t kProcessing_ns = 5'000;  // server turnaround
        proto::patch_transmit(reply.bytes, proto::NtpTimestamp::from_unix_ns(
                                               server_time(s, e.t_ns + kProcessing_ns)));
        if (lost(s.link)) return;
        reply.t_ns = e.t_ns + kProcessing_ns + one_way_delay(s.link, false);
        push(reply);
    }

    ScenarioParams p_;
    SimulatedClock clock_;
    clock::SeededRandom core_rng_;
    std::mt19937_64 net_rng_;
    clock::SyncEngine engine_;
    std::vector<clock::SourceId> ids_;
    std::vector<uint64_t> timer_gen_;
    std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
    uint64_t seq_ = 0;
    bool jumped_ = false;
    RunMetrics m_;
};

}  // namespace

RunMetrics run_scenario(const ScenarioParams& params) {
    ScenarioParams p = params;
    // NTPLITE_SIM_TRACE="NAME:SEED" prints every clock update of that run (for investigations).
    if (const char* t = std::getenv("NTPLITE_SIM_TRACE"))
        if (std::string(t) == p.name + ":" + std::to_string(p.seed)) p.trace = true;
    Simulation sim(p);
    return sim.run();
}

std::string table_header() {
    return "| scenario | seed | first update (s) | settled <1 ms (s) | max \\|off\\| after 60 s "
           "(us) | RMS off after 2000 s (us) | max \\|off\\| after 2000 s (us) | RMS freq err "
           "(ppm) | steps |\n"
           "|---|---|---|---|---|---|---|---|---|\n";
}

std::string table_row(const std::string& scenario, uint64_t seed, const RunMetrics& m) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "| %s | %llu | %.1f | %.0f | %.1f | %.2f | %.1f | %.4f | %d |\n",
                  scenario.c_str(), static_cast<unsigned long long>(seed),
                  static_cast<double>(m.first_update_ns) * 1e-9,
                  static_cast<double>(m.settle_ns) * 1e-9, m.max_abs_offset_after_tight_ns * 1e-3,
                  m.rms_offset_ns * 1e-3, m.max_abs_offset_ns * 1e-3, m.rms_freq_ppm, m.steps);
    return buf;
}

}  // namespace ntplite::sim
