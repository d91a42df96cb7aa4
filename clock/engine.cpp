#include "clock/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <utility>

#include "proto/exchange.hpp"
#include "proto/refid.hpp"
#include "proto/saturate.hpp"

namespace ntplite::clock {

namespace {
constexpr int64_t kMaxDistance_ns = 1'500'000'000;  // RFC 5905 MAXDIST

// printf-style formatting into a std::string (g++ 12 has no <format>).
[[gnu::format(printf, 1, 2)]] std::string strf(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}
}  // namespace

const char* to_string(SourceState s) {
    switch (s) {
        case SourceState::kNoSample:
            return "no-sample";
        case SourceState::kUnreachable:
            return "unreachable";
        case SourceState::kDemobilized:
            return "demobilized";
        case SourceState::kNoSelect:
            return "noselect";
        case SourceState::kUnusable:
            return "unusable";
        case SourceState::kTimeLoop:
            return "time-loop";
        case SourceState::kFalseticker:
            return "falseticker";
        case SourceState::kOutlier:
            return "outlier";
        case SourceState::kCandidate:
            return "candidate";
        case SourceState::kSelected:
            return "selected";
    }
    return "?";
}

SyncEngine::SyncEngine(const EngineConfig& cfg, SystemClock& clock, Random& rng,
                       double initial_frequency_ppm)
    : cfg_(cfg),
      clock_(clock),
      rng_(rng),
      discipline_(cfg.discipline, clock.adjusts(), initial_frequency_ppm) {
    state_.precision_log2 = cfg_.precision_log2;
    if (clock_.adjusts()) clock_.adjust_frequency(initial_frequency_ppm);
}

SourceId SyncEngine::add_source(const SourceConfig& cfg, int64_t now_ns, SourceActions* first) {
    sources_.push_back(Slot{Source(cfg)});
    SourceActions a = sources_.back().source.start(now_ns, rng_);
    if (first) *first = a;
    return sources_.size() - 1;
}

void SyncEngine::remove_source(SourceId id) {
    if (id >= sources_.size()) return;
    sources_[id].live = false;
    if (system_peer_ == id) system_peer_.reset();
}

std::vector<std::pair<SourceId, SourceActions>> SyncEngine::burst_all(int64_t now_ns) {
    std::vector<std::pair<SourceId, SourceActions>> out;
    for (SourceId id = 0; id < sources_.size(); ++id) {
        if (!sources_[id].live || sources_[id].source.demobilized()) continue;
        // Only sources that start a burst (Source::burst coalesces resync requests).
        SourceActions a = sources_[id].source.burst(now_ns);
        if (a.timer_at_ns) out.emplace_back(id, a);
    }
    return out;
}

SourceActions SyncEngine::on_timer(SourceId id, int64_t now_ns) {
    if (id >= sources_.size() || !sources_[id].live) return {};
    return sources_[id].source.on_timer(now_ns, rng_);
}

void SyncEngine::event(EngineEvent::Kind k, SourceId id, int64_t value, std::string msg) {
    // Bounded: a daemon that never drains must not grow without limit.
    if (events_.size() >= 1024) events_.erase(events_.begin());
    events_.push_back(EngineEvent{k, id, value, std::move(msg)});
}

std::vector<EngineEvent> SyncEngine::take_events() {
    return std::exchange(events_, {});
}

ResponseResult SyncEngine::on_response(SourceId id, std::span<const std::byte> datagram,
                                       int64_t t4_ns, int64_t now_ns) {
    if (id >= sources_.size() || !sources_[id].live) return {};
    Slot& slot = sources_[id];
    ResponseResult r = slot.source.on_response(datagram, t4_ns, now_ns, clock_.pending_slew_ns());
    const std::string& name = slot.source.config().name;
    if (r.outcome == ResponseOutcome::kKissRate) {
        event(EngineEvent::Kind::kKissRate, id, 0,
              strf("source %s: KoD RATE, poll interval raised to 2^%d s", name.c_str(),
                   slot.source.poll_log2()));
    } else if (r.outcome == ResponseOutcome::kKissDeny) {
        event(EngineEvent::Kind::kKissDeny, id, 0,
              strf("source %s: KoD %s, no longer used", name.c_str(),
                   slot.source.last_kiss() == proto::KissCode::kRstr ? "RSTR" : "DENY"));
        if (system_peer_ == id) system_peer_.reset();
    }
    if (r.outcome == ResponseOutcome::kAccepted && r.filter &&
        (r.filter->is_new || cfg_.discipline.feed == DisciplineFeed::kEverySample))
        select_and_update(id, now_ns);
    return r;
}

std::optional<Candidate> SyncEngine::candidate_of(const Slot& s, int64_t now_ns) const {
    const Source& src = s.source;
    auto f = src.filter().current(now_ns);
    const auto& h = src.last_header();
    if (!f || !h) return std::nullopt;
    Candidate c;
    c.offset_ns = f->best.offset_ns;
    c.jitter_ns = f->jitter_ns;
    c.stratum = h->stratum;
    c.refid = h->refid;
    c.prefer = src.config().prefer;
    // RFC 5905 root distance; the filter dispersion is already aged to now_ns.
    // issue 14: saturating sums; a hostile server's jitter alone can approach INT64_MAX.
    c.root_distance_ns =
        proto::sat_add(proto::sat_add(proto::sat_add(h->root_delay.to_ns(), f->best.delay_ns) / 2,
                                      h->root_dispersion.to_ns()),
                       proto::sat_add(f->dispersion_ns, f->jitter_ns));
    c.root_distance_ns = std::max<int64_t>(c.root_distance_ns, 1);
    // Usable only if it answered one of its last 3 polls, so a dead source is dropped fast.
    c.usable = s.live && !src.demobilized() && !src.config().noselect &&
               (src.reach() & 0x07) != 0 && h->leap != proto::LeapIndicator::kUnsynchronized;
    return c;
}

bool SyncEngine::startup_gate_open() const {
    // Before the first update, wait until every source has answered or had its chance (2
    // requests), so a lone early falseticker cannot set the clock before the others speak.
    if (discipline_.updates() > 0) return true;
    for (const Slot& s : sources_) {
        if (!s.live || s.source.demobilized()) continue;
        if (s.source.reach() == 0 && s.source.requests_sent() < 2) return false;
    }
    return true;
}

void SyncEngine::select_and_update(SourceId from, int64_t now_ns) {
    if (!startup_gate_open()) return;
    std::vector<Candidate> cands(sources_.size());
    std::vector<Verdict> verdicts(sources_.size(), Verdict::kUnusable);
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        auto c = candidate_of(sources_[i], now_ns);
        if (c) {
            cands[i] = *c;
        } else {
            cands[i].usable = false;
        }
    }
    SelectionResult sel = select_sources(cands, cfg_.selection, verdicts);
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        Slot& s = sources_[i];
        if (verdicts[i] == Verdict::kTimeLoop && !s.loop_reported) {
            s.loop_reported = true;
            event(EngineEvent::Kind::kTimeLoop, i, 0,
                  strf("time loop: source %s (stratum %d) takes its time from us (its refid %s is "
                       "one of "
                       "our addresses); not used",
                       s.source.config().name.c_str(), cands[i].stratum,
                       proto::format_refid(cands[i].refid, cands[i].stratum).c_str()));
        } else if (verdicts[i] != Verdict::kTimeLoop) {
            s.loop_reported = false;
        }
        s.verdict = verdicts[i];
    }
    if (!sel.system_peer) {
        if (system_peer_)
            event(EngineEvent::Kind::kNoSelection, from, 0,
                  "no selectable sources: clock not updated");
        system_peer_.reset();
        return;
    }
    SourceId peer = *sel.system_peer;
    if (system_peer_ != peer)
        event(EngineEvent::Kind::kSelected, peer, 0,
              strf("selected source %s", sources_[peer].source.config().name.c_str()));
    system_peer_ = peer;

    // What reaches the discipline:
    //  - kFilterOutput (RFC 5905): the combined offset, once per new filter output of the
    //    system peer;
    //  - kEverySample: every new sample of every survivor, as measured, with its delay in excess
    //    of that source's 8-sample filter minimum (the regression weights and combines them
    //    by it, so sources with different path lengths count alike). The very
    //    first update uses the combined offset, so no single source sets the clock alone.
    const Source& ps = sources_[peer].source;
    auto pf = ps.filter().current(now_ns);
    if (!pf) return;
    DisciplineSample ds;
    ds.jitter_ns = sel.jitter_ns;
    ds.poll_log2 = ps.poll_log2();
    ds.minpoll_log2 = ps.config().minpoll_log2;
    ds.maxpoll_log2 = ps.config().maxpoll_log2;
    bool every = cfg_.discipline.feed == DisciplineFeed::kEverySample && discipline_.updates() > 0;
    if (every) {
        if (verdicts[from] != Verdict::kSelected && verdicts[from] != Verdict::kCandidate) return;
        const Source& fs = sources_[from].source;
        const FilterSample& fed = fs.filter().newest();
        ds.offset_ns = fed.offset_ns;
        ds.sample_time_ns = fed.local_time_ns;
        auto fo = fs.filter().current(now_ns);
        if (!fo) return;
        ds.delay_ns = std::max<int64_t>(fed.delay_ns - fo->best.delay_ns, 0) + 1;
    } else {
        if (pf->best.local_time_ns <= last_used_sample_time_ns_) return;
        last_used_sample_time_ns_ = pf->best.local_time_ns;
        ds.offset_ns = sel.offset_ns;
        ds.sample_time_ns = pf->best.local_time_ns;
        ds.delay_ns = 1;
    }
    Adjustment adj = discipline_.update(ds, now_ns);
    sys_jitter_ns_ = sel.jitter_ns;

    const auto& h = *ps.last_header();
    state_.stratum = static_cast<uint8_t>(std::min<int>(h.stratum + 1, 16));
    state_.refid = ps.config().address_refid;
    state_.root_delay = proto::NtpShort::from_ns(h.root_delay.to_ns() + pf->best.delay_ns);
    // Clamped to MAXDISP (RFC 5905): more means "no idea", and later sums stay far from int64.
    root_disp_base_ns_ = std::min(
        proto::sat_add(proto::sat_add(h.root_dispersion.to_ns(), pf->dispersion_ns),
                       proto::sat_add(sys_jitter_ns_, proto::sat_abs(adj.wanted_offset_ns))),
        proto::kMaxDispersionNs);
    state_.leap = h.leap;

    UpdateInfo info;
    info.time_ns = now_ns;
    info.adjustment = adj;
    info.offset_ns = sel.offset_ns;
    info.system_peer = peer;
    last_update_ = info;
    apply(adj, now_ns);
    for (auto& s : sources_) s.source.set_poll_hint(discipline_.poll_hint_log2());
}

void SyncEngine::apply(const Adjustment& adj, int64_t now_ns) {
    int64_t update_time_ns = now_ns;
    switch (adj.action) {
        case ClockAction::kNone:
            return;
        case ClockAction::kPanic:
            event(
                EngineEvent::Kind::kPanic, system_peer_.value_or(0), adj.wanted_offset_ns,
                strf("offset %.6f s exceeds the panic threshold %.0f s: clock NOT adjusted; set it "
                     "by hand or raise the threshold",
                     static_cast<double>(adj.wanted_offset_ns) * 1e-9,
                     static_cast<double>(cfg_.discipline.panic_threshold_ns) * 1e-9));
            return;
        case ClockAction::kStep:
        case ClockAction::kStepCapped:
            // Observe mode: a NullClock records the request and changes nothing.
            clock_.step(adj.offset_ns);
            if (clock_.adjusts()) update_time_ns += adj.offset_ns;
            event(
                adj.action == ClockAction::kStep ? EngineEvent::Kind::kStep
                                                 : EngineEvent::Kind::kStepCapped,
                system_peer_.value_or(0), adj.offset_ns,
                adj.action == ClockAction::kStep
                    ? strf("clock %s by %+.6f s", clock_.adjusts() ? "stepped" : "would be stepped",
                           static_cast<double>(adj.offset_ns) * 1e-9)
                    : strf("clock %s back by only %.6f s of the %.6f s wanted (max_backward_step)",
                           clock_.adjusts() ? "stepped" : "would be stepped",
                           static_cast<double>(-adj.offset_ns) * 1e-9,
                           static_cast<double>(-adj.wanted_offset_ns) * 1e-9));
            break;
        case ClockAction::kSlew:
            clock_.slew(clock_.pending_slew_ns() + adj.offset_ns);
            break;
    }
    if (!clock_.adjusts()) clock_.adjust_frequency(adj.frequency_ppm);  // recorded only
    if (clock_.adjusts()) {
        if (adj.frequency_change_ppm != 0.0) clock_.adjust_frequency(adj.frequency_ppm);
        bool was_step = adj.action == ClockAction::kStep || adj.action == ClockAction::kStepCapped;
        for (auto& s : sources_)
            s.source.on_clock_correction(adj.offset_ns, adj.frequency_change_ppm, now_ns, was_step);
    }
    synced_ = true;
    state_.reference_time = proto::NtpTimestamp::from_unix_ns(update_time_ns);
    int64_t maxerr = state_.root_delay.to_ns() / 2 + root_disp_base_ns_;
    clock_.set_sync_status(
        maxerr, proto::sat_add(proto::sat_round(adj.estimated_error_ns), sys_jitter_ns_), true);
}

bool SyncEngine::source_usable() const {
    for (const Slot& s : sources_) {
        if (!s.live || s.source.demobilized() || (s.source.reach() & 0x07) == 0) continue;
        if (s.verdict == Verdict::kSelected || s.verdict == Verdict::kCandidate) return true;
    }
    return false;
}

bool SyncEngine::synchronized_at(int64_t now_ns) const {
    if (!synced_) return false;
    // Holdover counts from the last clock update: without usable sources nothing updates.
    int64_t since_ns = std::max<int64_t>(0, now_ns - state_.reference_time.to_unix_ns(now_ns));
    int64_t root_disp_ns = root_disp_base_ns_ +
                           static_cast<int64_t>(ClockFilter::kPhi * static_cast<double>(since_ns));
    if (state_.root_delay.to_ns() / 2 + root_disp_ns > kMaxDistance_ns) return false;
    if (cfg_.holdover_ns < 0 || source_usable()) return true;
    return since_ns <= cfg_.holdover_ns;
}

proto::SystemState SyncEngine::system_state(int64_t now_ns) const {
    proto::SystemState s = state_;
    if (!synchronized_at(now_ns)) {
        s.leap = proto::LeapIndicator::kUnsynchronized;
        s.stratum = 16;
        return s;
    }
    // Dispersion grows with the time since the last update (RFC 5905 PHI).
    int64_t since_ns = std::max<int64_t>(0, now_ns - state_.reference_time.to_unix_ns(now_ns));
    int64_t root_disp_ns = root_disp_base_ns_ +
                           static_cast<int64_t>(ClockFilter::kPhi * static_cast<double>(since_ns));
    s.root_dispersion = proto::NtpShort::from_ns(root_disp_ns);
    // Without updates the error bound grows; past MAXDIST our time is no longer worth serving.
    if (state_.root_delay.to_ns() / 2 + root_disp_ns > kMaxDistance_ns) {
        s.leap = proto::LeapIndicator::kUnsynchronized;
        s.stratum = 16;
    }
    return s;
}

std::vector<SourceSnapshot> SyncEngine::snapshot(int64_t now_ns) const {
    std::vector<SourceSnapshot> out;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        const Slot& slot = sources_[i];
        if (!slot.live) continue;
        const Source& src = slot.source;
        SourceSnapshot s;
        s.id = i;
        s.name = src.config().name;
        s.reach = src.reach();
        s.poll_log2 = src.poll_log2();
        s.prefer = src.config().prefer;
        s.last_kiss = src.last_kiss();
        s.last_kiss_time_ns = src.last_kiss_time_ns();
        if (const auto& h = src.last_header()) {
            s.stratum = h->stratum;
            s.refid = h->refid;
        }
        if (auto f = src.filter().current(now_ns)) {
            s.offset_ns = f->best.offset_ns;
            s.delay_ns = f->best.delay_ns;
            s.jitter_ns = f->jitter_ns;
            s.last_sample_time_ns = f->best.local_time_ns;
        }
        if (auto c = candidate_of(slot, now_ns)) s.root_distance_ns = c->root_distance_ns;
        if (src.demobilized()) {
            s.state = SourceState::kDemobilized;
        } else if (src.reachability() == Reachability::kNeverReached) {
            s.state = SourceState::kNoSample;
        } else if (src.reachability() == Reachability::kUnreachable) {
            s.state = SourceState::kUnreachable;
        } else if (src.config().noselect) {
            s.state = SourceState::kNoSelect;
        } else {
            switch (slot.verdict) {
                case Verdict::kUnusable:
                    s.state = SourceState::kUnusable;
                    break;
                case Verdict::kTimeLoop:
                    s.state = SourceState::kTimeLoop;
                    break;
                case Verdict::kFalseticker:
                    s.state = SourceState::kFalseticker;
                    break;
                case Verdict::kOutlier:
                    s.state = SourceState::kOutlier;
                    break;
                case Verdict::kCandidate:
                    s.state = SourceState::kCandidate;
                    break;
                case Verdict::kSelected:
                    s.state = SourceState::kSelected;
                    break;
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace ntplite::clock
