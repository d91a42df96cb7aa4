#include "clock/engine.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "proto/exchange.hpp"
#include "proto/refid.hpp"
#include "proto/saturate.hpp"

namespace ntplite::clock {

namespace {
// Discipline updates before the popcorn-spike gate applies (see on_response).
constexpr int kSpikeGateAfterUpdates = 8;
constexpr int64_t kMaxDistance_ns = 1'500'000'000;  // RFC 5905 MAXDIST
// RFC 5905 MINDISP: the delay term of a root distance is at least this, so a source on a very
// short path is not treated as infinitely precise by intersection and combining.
constexpr int64_t kMinDispersion_ns = 10'000'000;
// "Unknown" kernel error bounds when not synchronized (the kernel's own NTP_PHASE_LIMIT-style
// maximum, 16 s).
constexpr int64_t kUnknownError_ns = 16'000'000'000;

// Times come from the edge and a hostile or broken clock can jump anywhere: differences saturate.
using proto::sat_abs;
using proto::sat_add;
using proto::sat_sub;
}  // namespace

const char* to_string(SourceState s) {
    switch (s) {
        case SourceState::kNoSample:
            return "no-sample";
        case SourceState::kUnreachable:
            return "unreachable";
        case SourceState::kDenied:
            return "denied";
        case SourceState::kRateLimited:
            return "rate-limited";
        case SourceState::kNoSelect:
            return "noselect";
        case SourceState::kUnsynchronized:
            return "unsynchronized";
        case SourceState::kTooFar:
            return "too-far";
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

const char* to_string(SyncState s) {
    switch (s) {
        case SyncState::kUnsynchronized:
            return "unsynchronized";
        case SyncState::kSynchronized:
            return "synchronized";
        case SyncState::kHoldover:
            return "holdover";
        case SyncState::kLocal:
            return "local";
    }
    return "?";
}

const char* to_string(UnsyncReason r) {
    switch (r) {
        case UnsyncReason::kNone:
            return "none";
        case UnsyncReason::kStarting:
            return "starting";
        case UnsyncReason::kNoSources:
            return "no-sources";
        case UnsyncReason::kAllUnreachable:
            return "all-unreachable";
        case UnsyncReason::kNoMajority:
            return "no-majority";
        case UnsyncReason::kNoneSelectable:
            return "none-selectable";
        case UnsyncReason::kDistanceExceeded:
            return "distance-exceeded";
        case UnsyncReason::kPanic:
            return "panic";
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
    status_.reason = UnsyncReason::kNoSources;
    if (cfg_.local_stratum > 0) status_.state = SyncState::kLocal;
}

EngineUpdate SyncEngine::add_source(const SourceConfig& cfg, LocalTime now, SourceId* id) {
    EngineUpdate up;
    sources_.push_back(Slot{Source(cfg), auth::make_client_authenticator(cfg.auth, auth_ctx_), {}});
    const SourceId new_id = sources_.size() - 1;
    if (id) *id = new_id;
    SourceActions a = sources_.back().source.start(now.ns, rng_);
    seal(sources_.back(), a, now);
    up.actions.emplace_back(new_id, a);
    conclude(now, up);
    return up;
}

void SyncEngine::replace_keys(std::shared_ptr<const auth::KeySet> keys) {
    auth_ctx_.keys = std::move(keys);
    for (Slot& s : sources_) {
        const auth::SourceAuthConfig& a = s.source.config().auth;
        if (s.live && a.kind == auth::AuthKind::kKey)
            s.auth = auth::make_client_authenticator(a, auth_ctx_);
    }
}

EngineUpdate SyncEngine::remove_source(SourceId id, LocalTime now) {
    EngineUpdate up;
    if (id >= sources_.size() || !sources_[id].live) return up;
    sources_[id].live = false;
    if (system_peer_ == id) system_peer_.reset();
    conclude(now, up);
    return up;
}

EngineUpdate SyncEngine::burst_all(LocalTime now) {
    EngineUpdate up;
    for (SourceId id = 0; id < sources_.size(); ++id) {
        if (!sources_[id].live) continue;
        SourceActions a = sources_[id].source.burst(now.ns);
        if (a.timer_at_ns) up.actions.emplace_back(id, a);
    }
    conclude(now, up);
    return up;
}

EngineUpdate SyncEngine::on_timer(SourceId id, LocalTime now) {
    EngineUpdate up;
    if (id >= sources_.size() || !sources_[id].live) return up;
    SourceActions a = sources_[id].source.on_timer(now.ns, rng_);
    seal(sources_[id], a, now);
    up.actions.emplace_back(id, a);
    conclude(now, up);
    return up;
}

void SyncEngine::note_auth_failure(Slot& s, auth::AuthFailure f, LocalTime now) {
    ++s.auth_status.failures;
    s.auth_status.last_failure = f;
    s.auth_status.last_failure_time_ns = now.ns;
}

void SyncEngine::seal(Slot& s, SourceActions& a, LocalTime now) {
    if (!a.send) return;
    const auth::AuthFailure f = s.auth->seal(a.request, rng_);
    if (f == auth::AuthFailure::kNone) return;
    // Nothing unauthenticated goes out instead: the poll counts as lost.
    a.send = false;
    note_auth_failure(s, f, now);
}

EngineUpdate SyncEngine::tick(LocalTime now) {
    EngineUpdate up;
    conclude(now, up);
    return up;
}

EngineUpdate SyncEngine::on_response(SourceId id, std::span<const std::byte> datagram, LocalTime t4,
                                     LocalTime now) {
    EngineUpdate up;
    if (id >= sources_.size() || !sources_[id].live) return up;
    Slot& slot = sources_[id];
    // Authentication first: a reply that fails never reaches the Source (no sample, no reach
    // bit, no KoD acted upon), it is counted with its reason.
    if (const auth::AuthFailure f = slot.auth->open(datagram); f != auth::AuthFailure::kNone) {
        note_auth_failure(slot, f, now);
        ResponseResult r;
        r.outcome = ResponseOutcome::kAuthFailed;
        r.auth_failure = f;
        up.response = std::move(r);
        conclude(now, up);
        return up;
    }
    ++slot.auth_status.authenticated;
    ResponseResult r =
        slot.source.on_response(datagram.first(std::min(datagram.size(), proto::kHeaderSize)),
                                t4.ns, now.ns, clock_.pending_slew_ns());
    seal(slot, r.actions, now);
    if (r.outcome == ResponseOutcome::kKissRate) {
        EngineEvent e;
        e.kind = EngineEvent::Kind::kKissRate;
        e.source = id;
        e.poll_log2 = slot.source.poll_log2();
        up.events.push_back(e);
    } else if (r.outcome == ResponseOutcome::kKissDeny) {
        EngineEvent e;
        e.kind = EngineEvent::Kind::kKissDeny;
        e.source = id;
        e.kiss = slot.source.last_kiss().value_or(proto::KissCode::kDeny);
        up.events.push_back(e);
        if (system_peer_ == id) system_peer_.reset();
    }
    if (r.outcome == ResponseOutcome::kAccepted && r.filter) {
        // Every accepted sample re-runs selection (a disagreement shows at once); only
        // samples the spike gate does not hold back reach the discipline (with the one it held
        // before, if that turned out to be a move or no spike after all).
        const bool feed =
            !r.spike && (r.filter->is_new || cfg_.discipline.feed == DisciplineFeed::kEverySample);
        select_and_update(id, now, feed, up, r.held ? &*r.held : nullptr, r.confirmed_change);
    }
    if (r.actions.send || r.actions.timer_at_ns || r.actions.demobilize || r.actions.reresolve)
        up.actions.emplace_back(id, r.actions);
    up.response = std::move(r);
    conclude(now, up);
    return up;
}

std::optional<Candidate> SyncEngine::candidate_of(const Slot& s, int64_t now_ns) const {
    const Source& src = s.source;
    auto f = src.filter().current(now_ns);
    const auto& h = src.last_header();
    if (!f || !h) return std::nullopt;
    Candidate c;
    c.offset_ns = f->best.offset_ns;
    // Peer jitter is floored at our precision: 8 identical samples do not make a perfect clock.
    c.jitter_ns = std::max(f->jitter_ns, proto::PollInterval{cfg_.precision_log2}.to_ns());
    c.stratum = h->stratum;
    c.refid = h->refid;
    c.prefer = src.config().prefer;
    // RFC 5905 root distance, MINDISP on the delay term; the filter dispersion is already aged
    // to now_ns. Saturating: a hostile reply that passed the origin check must not overflow.
    const int64_t delay_term =
        std::max(kMinDispersion_ns, sat_add(h->root_delay.to_ns(), f->best.delay_ns)) / 2;
    const int64_t base = sat_add(sat_add(delay_term, h->root_dispersion.to_ns()), c.jitter_ns);
    // Selectable only if the RFC distance, with empty filter stages at MAXDISP, is within the
    // limit: one sample is not enough unless a burst filled the filter. The correctness
    // interval itself uses what the filled stages measured.
    const int64_t rfc_distance_ns = sat_add(base, f->dispersion_ns);
    c.root_distance_ns = std::max<int64_t>(sat_add(base, f->measured_dispersion_ns), 1);
    c.rfc_distance_ns = rfc_distance_ns;
    // Usable only if it answered one of its last 3 polls, so a dead source is dropped fast.
    // A source whose last answer was a KoD RATE has no fresh sample coming: not usable.
    c.usable = s.live && !src.demobilized() && !src.config().noselect && !src.rate_limited() &&
               (src.reach() & 0x07) != 0 && h->leap != proto::LeapIndicator::kUnsynchronized &&
               rfc_distance_ns <= cfg_.selection.max_distance_ns;
    return c;
}

bool SyncEngine::startup_gate_open() const {
    // Before the first update, wait until every source has answered or had its chance (2
    // requests), and every answering one has filled its filter enough to be selectable (or had
    // a whole burst to do so), so the sources that answer first cannot set the clock before the
    // others can vote (a lone early falseticker, or a majority that is not one).
    if (discipline_.updates() > 0) return true;
    constexpr int kSelectableSamples = 4;  // 4 of 8 stages filled: below MAXDIST (RFC 5905)
    constexpr auto kBurstRequests = static_cast<uint64_t>(Source::kBurstMaxRequests);
    for (const Slot& s : sources_) {
        if (!s.live || s.source.demobilized()) continue;
        if (s.source.reach() == 0 && s.source.requests_sent() < 2) return false;
        if (s.source.reach() != 0 && s.source.filter().count() < kSelectableSamples &&
            s.source.requests_sent() < kBurstRequests)
            return false;
    }
    return true;
}

namespace {
// The error left once `adj` is applied (ns): a step removes what it stepped at once (so a step
// never makes what we serve look unsynchronized), a slew only over time.
int64_t residual_after(const Adjustment& adj) {
    if (adj.wanted_offset_ns == INT64_MIN) return INT64_MAX;
    bool step = adj.action == ClockAction::kStep || adj.action == ClockAction::kStepCapped;
    return sat_abs(sat_sub(adj.wanted_offset_ns, step ? adj.offset_ns : 0));
}
}  // namespace

void SyncEngine::select_and_update(SourceId from, LocalTime now, bool feed, EngineUpdate& up,
                                   const FilterSample* held, bool confirmed_change) {
    if (!startup_gate_open()) return;
    std::vector<Candidate> cands(sources_.size());
    std::vector<Verdict> verdicts(sources_.size(), Verdict::kUnusable);
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        auto c = candidate_of(sources_[i], now.ns);
        if (c) {
            cands[i] = *c;
        } else {
            cands[i].usable = false;
        }
    }
    SelectionResult sel = select_sources(cands, cfg_.selection, verdicts, system_peer_);
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        Slot& s = sources_[i];
        if (verdicts[i] == Verdict::kTimeLoop && !s.loop_reported) {
            s.loop_reported = true;
            EngineEvent e;
            e.kind = EngineEvent::Kind::kTimeLoop;
            e.source = i;
            e.stratum = cands[i].stratum;
            e.refid = cands[i].refid;
            up.events.push_back(e);
        } else if (verdicts[i] != Verdict::kTimeLoop) {
            s.loop_reported = false;
        }
        s.verdict = s.live ? verdicts[i] : Verdict::kUnusable;
    }
    if (!sel.system_peer) {
        system_peer_.reset();
        // Why nothing was chosen: a disagreement is not the same failure as silence.
        if (sel.offered > 0 && sel.truechimers < std::max(1, cfg_.selection.min_sane_sources))
            selection_failure_ = UnsyncReason::kNoMajority;
        else
            selection_failure_ = UnsyncReason::kNoneSelectable;
        return;
    }
    SourceId peer = *sel.system_peer;
    system_peer_ = peer;
    selection_failure_ = UnsyncReason::kNone;
    if (!feed) return;

    // What reaches the discipline:
    //  - kFilterOutput (RFC 5905): the combined offset, once per new filter output of the
    //    system peer;
    //  - kEverySample: every new sample of every survivor, as measured, with its delay in excess
    //    of that source's 8-sample filter minimum (the regression weights and combines them
    //    by it, so sources with different path lengths count alike). The very
    //    first update uses the combined offset, so no single source sets the clock alone.
    const Source& ps = sources_[peer].source;
    auto pf = ps.filter().current(now.ns);
    if (!pf) return;
    DisciplineSample ds;
    ds.jitter_ns = sel.jitter_ns;
    ds.poll_log2 = ps.poll_log2();
    ds.minpoll_log2 = ps.config().minpoll_log2;
    ds.maxpoll_log2 = ps.config().maxpoll_log2;
    const bool every_sample = cfg_.discipline.feed == DisciplineFeed::kEverySample;
    const bool every = every_sample && discipline_.updates() > 0;
    // The first update (kEverySample, regression): every sample the survivors' start-up bursts
    // collected, each weighted by its delay over its source's filter minimum, so the first
    // decision has a frequency as well as an offset (a 100 ppm error left for one poll is
    // 1.6 ms at 16 s). The fit over all survivors is the combined offset: no single source
    // sets the clock alone.
    std::array<DisciplineSample, 64> batch{};
    std::size_t batch_n = 0;
    if (every_sample && discipline_.updates() == 0 &&
        cfg_.discipline.algorithm == DisciplineAlgorithm::kRegression) {
        for (std::size_t i = 0; i < sources_.size(); ++i) {
            if (verdicts[i] != Verdict::kSelected && verdicts[i] != Verdict::kCandidate) continue;
            const ClockFilter& f = sources_[i].source.filter();
            auto fo = f.current(now.ns);
            if (!fo) continue;
            for (int age = 0; age < f.count() && batch_n < batch.size(); ++age) {
                const FilterSample& fs = f.sample(age);
                DisciplineSample b = ds;
                b.offset_ns = fs.offset_ns;
                b.sample_time_ns = fs.local_time_ns;
                b.delay_ns =
                    sat_add(std::max<int64_t>(sat_sub(fs.delay_ns, fo->best.delay_ns), 0), 1);
                batch[batch_n++] = b;
            }
            sources_[i].source.note_sample_used(f.newest().offset_ns, f.newest().local_time_ns);
        }
    }
    if (every) {
        if (verdicts[from] != Verdict::kSelected && verdicts[from] != Verdict::kCandidate) return;
        const Source& fs = sources_[from].source;
        const FilterSample& fed = fs.filter().newest();
        ds.offset_ns = fed.offset_ns;
        ds.sample_time_ns = fed.local_time_ns;
        auto fo = fs.filter().current(now.ns);
        if (!fo) return;
        ds.delay_ns = sat_add(std::max<int64_t>(sat_sub(fed.delay_ns, fo->best.delay_ns), 0), 1);
        if (held) {
            // The sample the spike gate held back goes in first, together with this one (for
            // a confirmed move: two samples that say the offset moved, see
            // Discipline::detect_change).
            ds.confirmed_change = confirmed_change;
            DisciplineSample h = ds;
            h.offset_ns = held->offset_ns;
            h.sample_time_ns = held->local_time_ns;
            h.delay_ns =
                sat_add(std::max<int64_t>(sat_sub(held->delay_ns, fo->best.delay_ns), 0), 1);
            batch[batch_n++] = h;
            batch[batch_n++] = ds;
        }
        sources_[from].source.note_sample_used(fed.offset_ns, fed.local_time_ns);
    } else {
        if (pf->best.local_time_ns <= last_used_sample_time_ns_) return;
        last_used_sample_time_ns_ = pf->best.local_time_ns;
        ds.offset_ns = sel.offset_ns;
        ds.sample_time_ns = pf->best.local_time_ns;
        ds.delay_ns = 1;
        sources_[peer].source.note_sample_used(pf->best.offset_ns, pf->best.local_time_ns);
    }
    Adjustment adj = batch_n > 0 ? discipline_.update_batch({batch.data(), batch_n}, ds, now.ns)
                                 : discipline_.update(ds, now.ns);
    if (adj.action == ClockAction::kPanic) {
        panicked_ = true;
        EngineEvent e;
        e.kind = EngineEvent::Kind::kPanic;
        e.source = peer;
        e.wanted_ns = adj.wanted_offset_ns;
        up.events.push_back(e);
        return;
    }
    panicked_ = false;
    sys_jitter_ns_ = sel.jitter_ns;

    const auto& h = *ps.last_header();
    state_.stratum = static_cast<uint8_t>(std::min<int>(h.stratum + 1, 16));
    state_.refid = ps.config().address_refid;
    state_.root_delay = proto::NtpShort::from_ns(sat_add(h.root_delay.to_ns(), pf->best.delay_ns));
    root_disp_base_ns_ = sat_add(
        sat_add(sat_add(h.root_dispersion.to_ns(), pf->measured_dispersion_ns), sys_jitter_ns_),
        residual_after(adj));

    UpdateInfo info;
    info.time_ns = now.ns;
    info.adjustment = adj;
    info.offset_ns = sel.offset_ns;
    info.system_peer = peer;
    last_update_ = info;
    apply(adj, peer, now, up);
    ClockUpdate cu;
    cu.time_ns = now.ns;
    cu.offset_ns = sel.offset_ns;
    cu.system_peer = peer;
    cu.count = discipline_.updates();
    up.clock_update = cu;
    // Issue 11: the spike gate compares with the last sample used, which is only a good
    // prediction once the frequency is known; until the discipline has had a few updates a
    // 100 ppm error alone moves the offset by ms per poll, so nothing is held back (the
    // regression's delay weights still discount outliers).
    const bool gate = discipline_.updates() >= kSpikeGateAfterUpdates;
    for (auto& s : sources_) {
        s.source.set_poll_hint(discipline_.poll_hint_log2());
        s.source.set_spike_gate(gate);
    }
}

void SyncEngine::apply(const Adjustment& adj, SourceId peer, LocalTime now, EngineUpdate& up) {
    int64_t update_time_ns = now.ns;
    switch (adj.action) {
        case ClockAction::kNone:
        case ClockAction::kPanic:
            break;
        case ClockAction::kStep:
        case ClockAction::kStepCapped: {
            // Observe mode: a NullClock records the request and changes nothing.
            {
                // Offsets are measured net of the pending slew, which a step cancels: step it too
                // (or, for a capped backward step, slew it with the rest, monotonically).
                int64_t pending_ns = clock_.pending_slew_ns();
                bool capped = adj.action == ClockAction::kStepCapped;
                clock_.step(sat_add(adj.offset_ns, capped ? 0 : pending_ns));
                if (clock_.adjusts()) update_time_ns = sat_add(update_time_ns, adj.offset_ns);
                if (capped) clock_.slew(sat_add(adj.slew_ns, pending_ns));
            }
            EngineEvent e;
            e.kind = adj.action == ClockAction::kStep ? EngineEvent::Kind::kStep
                                                      : EngineEvent::Kind::kStepCapped;
            e.source = peer;
            e.value_ns = adj.offset_ns;
            e.wanted_ns = adj.wanted_offset_ns;
            e.clock_adjusted = clock_.adjusts();
            up.events.push_back(e);
            break;
        }
        case ClockAction::kSlew:
            clock_.slew(sat_add(clock_.pending_slew_ns(), adj.offset_ns));
            break;
    }
    if (!clock_.adjusts()) clock_.adjust_frequency(adj.frequency_ppm);  // recorded only
    if (clock_.adjusts()) {
        if (adj.frequency_change_ppm != 0.0) clock_.adjust_frequency(adj.frequency_ppm);
        bool was_step = adj.action == ClockAction::kStep || adj.action == ClockAction::kStepCapped;
        for (auto& s : sources_)
            s.source.on_clock_correction(sat_add(adj.offset_ns, adj.slew_ns),
                                         adj.frequency_change_ppm, now.ns, was_step);
    }
    last_update_time_ns_ = update_time_ns;
    state_.reference_time = proto::NtpTimestamp::from_unix_ns(update_time_ns);
    // The kernel status follows every update while we follow a source (the core's decision;
    // conclude() sets it back to unsynchronized when that ends).
    KernelStatus k;
    k.synced = true;
    k.maxerror_ns = sat_add(state_.root_delay.to_ns() / 2, root_disp_base_ns_);
    k.esterror_ns = sat_add(proto::sat_trunc(adj.estimated_error_ns), sys_jitter_ns_);
    clock_.set_sync_status(k.maxerror_ns, k.esterror_ns, true);
    if (!kernel_synced_) up.kernel = k;
    kernel_synced_ = true;
}

int64_t SyncEngine::root_dispersion_at(int64_t now_ns) const {
    // Dispersion grows with the time since the last update (RFC 5905 PHI).
    const int64_t since_ns = std::max<int64_t>(0, sat_sub(now_ns, last_update_time_ns_));
    return sat_add(root_disp_base_ns_,
                   proto::sat_trunc(ClockFilter::kPhi * static_cast<double>(since_ns)));
}

bool SyncEngine::within_max_distance(int64_t now_ns) const {
    // Without updates the error bound grows; past MAXDIST our time is no longer worth serving.
    return sat_add(state_.root_delay.to_ns() / 2, root_dispersion_at(now_ns)) <= kMaxDistance_ns;
}

SourceState SyncEngine::state_of(const Slot& slot) const {
    const Source& src = slot.source;
    if (src.demobilized()) return SourceState::kDenied;
    if (src.rate_limited()) return SourceState::kRateLimited;
    if (src.reachability() == Reachability::kNeverReached) return SourceState::kNoSample;
    if ((src.reach() & 0x07) == 0) return SourceState::kUnreachable;
    if (src.config().noselect) return SourceState::kNoSelect;
    const auto& h = src.last_header();
    if (h && (h->leap == proto::LeapIndicator::kUnsynchronized || h->stratum >= 16))
        return SourceState::kUnsynchronized;
    switch (slot.verdict) {
        case Verdict::kUnusable:
            return SourceState::kTooFar;
        case Verdict::kTimeLoop:
            return SourceState::kTimeLoop;
        case Verdict::kFalseticker:
            return SourceState::kFalseticker;
        case Verdict::kOutlier:
            return SourceState::kOutlier;
        case Verdict::kCandidate:
            return SourceState::kCandidate;
        case Verdict::kSelected:
            return SourceState::kSelected;
    }
    return SourceState::kTooFar;
}

SystemStatus SyncEngine::decide_status(LocalTime now) const {
    SystemStatus st;
    bool any_live = false;
    bool any_answering = false;
    for (const Slot& s : sources_) {
        if (!s.live || s.source.demobilized()) continue;
        any_live = true;
        if ((s.source.reach() & 0x07) != 0) any_answering = true;
    }
    // Why no source can be followed right now (kNone: the selected one can).
    UnsyncReason lost = UnsyncReason::kNone;
    if (!any_live)
        lost = UnsyncReason::kNoSources;
    else if (!any_answering)
        lost = discipline_.updates() == 0 ? UnsyncReason::kStarting : UnsyncReason::kAllUnreachable;
    else if (panicked_)
        lost = UnsyncReason::kPanic;
    else if (!system_peer_)
        lost = discipline_.updates() == 0 && selection_failure_ != UnsyncReason::kNoMajority
                   ? UnsyncReason::kStarting
                   : selection_failure_;
    const bool updated = discipline_.updates() > 0;
    const bool near = updated && within_max_distance(now.ns);
    if (lost == UnsyncReason::kNone && near) {
        st.state = SyncState::kSynchronized;
        st.reason = UnsyncReason::kNone;
        st.system_peer = system_peer_;
    } else {
        st.reason = lost == UnsyncReason::kNone ? UnsyncReason::kDistanceExceeded : lost;
        // Holdover: the sources went away (silent, denied, removed, unusable) after we had
        // followed them; keep serving the disciplined clock while its error bound is small. A
        // disagreement (no majority) or a refused offset (panic) is not a loss of sources: it
        // means our clock may be the wrong one, so it ends synchronization at once.
        const bool holdover_reason = lost == UnsyncReason::kAllUnreachable ||
                                     lost == UnsyncReason::kNoneSelectable ||
                                     lost == UnsyncReason::kNoSources;
        const int64_t since_update_ns = sat_sub(now.ns, last_update_time_ns_);
        const bool in_time = cfg_.holdover_ns < 0 || since_update_ns <= cfg_.holdover_ns;
        if (updated && near && holdover_reason && in_time) {
            st.state = SyncState::kHoldover;
            st.holdover_left_ns =
                cfg_.holdover_ns < 0
                    ? -1
                    : std::max<int64_t>(0, sat_sub(cfg_.holdover_ns, since_update_ns));
        } else if (cfg_.local_stratum > 0) {
            st.state = SyncState::kLocal;
        } else {
            st.state = SyncState::kUnsynchronized;
        }
    }
    return st;
}

void SyncEngine::conclude(LocalTime now, EngineUpdate& up) {
    // A source that stopped answering loses its verdict with its usability; if it was the
    // system peer, the others are asked at once (no holdover while candidates remain).
    bool peer_lost = false;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        Slot& s = sources_[i];
        if (!s.live || (s.source.reach() & 0x07) != 0 || s.verdict == Verdict::kUnusable) continue;
        s.verdict = Verdict::kUnusable;
        if (system_peer_ == i) {
            system_peer_.reset();
            peer_lost = true;
        }
    }
    if (peer_lost) select_and_update(0, now, /*feed=*/false, up);
    // Per-source states, reported as transitions.
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        Slot& s = sources_[i];
        if (!s.live) continue;
        SourceState st = state_of(s);
        if (st != s.reported) {
            up.transitions.push_back(SourceTransition{i, s.reported, st});
            s.reported = st;
        }
    }
    if (system_peer_ && (*system_peer_ >= sources_.size() || !sources_[*system_peer_].live))
        system_peer_.reset();
    if (!system_peer_ && selection_failure_ == UnsyncReason::kNone)
        selection_failure_ = UnsyncReason::kNoneSelectable;

    SystemStatus st = decide_status(now);

    // Leap: voted by every truechimer with valid samples, accepted only in June/December,
    // decided here once for both our clients and the kernel.
    LeapDecision leap;
    if (st.state == SyncState::kSynchronized) {
        std::vector<proto::LeapIndicator> votes;
        for (const Slot& s : sources_) {
            if (!s.live) continue;
            if (s.verdict != Verdict::kSelected && s.verdict != Verdict::kCandidate &&
                s.verdict != Verdict::kOutlier)
                continue;
            if (const auto& h = s.source.last_header()) votes.push_back(h->leap);
        }
        leap = leap_.update(votes, now.ns);
    } else if (st.state == SyncState::kHoldover) {
        leap = leap_.tick(now.ns);
    } else {
        leap = leap_.reset();
    }
    st.leap = leap.announce;
    if (leap.kernel_changed) clock_.set_leap(leap.kernel);
    if (leap.announce != status_.leap || leap.kernel_changed) {
        EngineEvent e;
        e.kind = EngineEvent::Kind::kLeap;
        e.leap = leap.announce;
        e.kernel_leap = leap.kernel;
        up.events.push_back(e);
    }

    // The kernel's STA_UNSYNC: cleared by apply() at each update, set again here when we stop
    // serving disciplined time (holdover keeps it: the kernel's maxerror grows on its own).
    const bool kernel_should_sync =
        st.state == SyncState::kSynchronized || st.state == SyncState::kHoldover;
    if (kernel_synced_ && !kernel_should_sync) {
        clock_.set_sync_status(kUnknownError_ns, kUnknownError_ns, false);
        kernel_synced_ = false;
        up.kernel = KernelStatus{false, kUnknownError_ns, kUnknownError_ns};
    }

    st.since_ns = st.state == status_.state && status_.since_ns != 0 ? status_.since_ns : now.ns;
    SystemStatus cmp = st;
    SystemStatus prev = status_;
    cmp.holdover_left_ns = prev.holdover_left_ns = 0;  // ticks down: not a change
    if (!(cmp == prev) || status_.since_ns == 0) up.status = st;
    status_ = st;
}

SystemStatus SyncEngine::status(LocalTime now) const {
    SystemStatus st = status_;
    if (st.state == SyncState::kHoldover && cfg_.holdover_ns >= 0)
        st.holdover_left_ns =
            std::max<int64_t>(0, sat_sub(cfg_.holdover_ns, sat_sub(now.ns, last_update_time_ns_)));
    return st;
}

proto::SystemState SyncEngine::system_state(LocalTime now) const {
    proto::SystemState s;
    s.precision_log2 = cfg_.precision_log2;
    const bool disciplined =
        status_.state == SyncState::kSynchronized || status_.state == SyncState::kHoldover;
    if (disciplined && within_max_distance(now.ns)) {
        s = state_;
        s.root_dispersion = proto::NtpShort::from_ns(root_dispersion_at(now.ns));
        s.leap = status_.leap;
        return s;
    }
    if (status_.state == SyncState::kLocal) {
        // The free-running local clock, as an isolated network's reference: no delay, "set"
        // continuously; only its reading error (1 ms: "good but not great", so clients prefer a
        // real source when they have one).
        s.leap = proto::LeapIndicator::kNone;
        s.root_dispersion = proto::NtpShort::from_ns(1'000'000);
        s.stratum = cfg_.local_stratum;
        s.refid = cfg_.local_stratum == 1 ? kLocalFallbackRefidStratum1 : kLocalFallbackRefid;
        s.reference_time = proto::NtpTimestamp::from_unix_ns(now.ns);
        return s;
    }
    s.leap = proto::LeapIndicator::kUnsynchronized;
    s.stratum = 16;
    return s;
}

std::vector<SourceSnapshot> SyncEngine::snapshot(LocalTime now) const {
    std::vector<SourceSnapshot> out;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        const Slot& slot = sources_[i];
        if (!slot.live) continue;
        const Source& src = slot.source;
        SourceSnapshot s;
        s.id = i;
        s.name = src.config().name;
        s.address = src.config().address;
        s.port = src.config().port;
        s.reach = src.reach();
        s.poll_log2 = src.poll_log2();
        s.prefer = src.config().prefer;
        s.auth = slot.auth_status;
        slot.auth->describe(s.auth);
        s.state = slot.reported;
        s.last_kiss = src.last_kiss();
        s.last_kiss_time_ns = src.last_kiss_time_ns();
        s.last_reply_time_ns = src.last_reply_time_ns();
        if (const auto& h = src.last_header()) {
            s.stratum = h->stratum;
            s.refid = h->refid;
        }
        if (s.state == SourceState::kDenied || s.state == SourceState::kRateLimited) {
            // ntpq shows a kissed source's refid as the kiss code (.RATE., .DENY.).
            s.kiss = src.last_kiss();
            s.refid = proto::refid_from_ascii(proto::kiss_name(*s.kiss));
        }
        if (auto f = src.filter().current(now.ns)) {
            s.has_sample = true;
            s.offset_ns = f->best.offset_ns;
            s.delay_ns = f->best.delay_ns;
            s.dispersion_ns = f->dispersion_ns;
            s.last_sample_time_ns = f->best.local_time_ns;
        }
        if (auto c = candidate_of(slot, now.ns)) {
            s.root_distance_ns = c->rfc_distance_ns;
            s.jitter_ns = c->jitter_ns;
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace ntplite::clock
