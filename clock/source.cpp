#include "clock/source.hpp"

#include <algorithm>

#include "proto/exchange.hpp"
#include "proto/saturate.hpp"

namespace ntplite::clock {

namespace {
constexpr int kIburstCount = 4;
constexpr int kMaxPollLog2 = 17;
// Precision we assume for our own timestamps when bounding a sample's error.
constexpr int64_t kLocalPrecision_ns = 1'000;
// RFC 5905 SGATE: a sample this many jitters away from the last one used is a popcorn spike.
constexpr int64_t kSpikeGate = 3;
// Issue 11: this many jitters away, a sample is held until the next (early) one says whether it
// was a spike or the offset really moved.
constexpr double kSuspectGate = 2.5;
}  // namespace

const char* to_string(ResponseOutcome o) {
    switch (o) {
        case ResponseOutcome::kAccepted:
            return "accepted";
        case ResponseOutcome::kUnexpected:
            return "unexpected";
        case ResponseOutcome::kMalformed:
            return "malformed";
        case ResponseOutcome::kFailedCheck:
            return "failed-check";
        case ResponseOutcome::kKissRate:
            return "kod-rate";
        case ResponseOutcome::kKissDeny:
            return "kod-deny";
        case ResponseOutcome::kKissOther:
            return "kod-other";
        case ResponseOutcome::kAuthFailed:
            return "auth-failed";
    }
    return "?";
}

Source::Source(const SourceConfig& cfg)
    : cfg_(cfg), poll_log2_(cfg.minpoll_log2), poll_hint_log2_(cfg.minpoll_log2) {
    if (cfg_.maxpoll_log2 < cfg_.minpoll_log2) cfg_.maxpoll_log2 = cfg_.minpoll_log2;
}

int Source::effective_poll() const {
    int p = std::clamp<int>(poll_hint_log2_, cfg_.minpoll_log2, cfg_.maxpoll_log2);
    // A source that stopped answering is polled less often (up to maxpoll).
    if (polls_since_reply_ > 8) p = cfg_.maxpoll_log2;
    return std::min(kMaxPollLog2, std::max(p, kod_poll_floor_log2_));
}

int64_t Source::poll_interval_ns() const {
    return proto::PollInterval{static_cast<int8_t>(poll_log2_)}.to_ns();
}

Reachability Source::reachability() const {
    if (!ever_reached_) return Reachability::kNeverReached;
    return reach_ != 0 ? Reachability::kReachable : Reachability::kUnreachable;
}

int64_t Source::next_ramp_interval(int64_t poll_ns) {
    if (ramp_interval_ns_ <= 0 || ramp_interval_ns_ >= poll_ns) {
        ramp_interval_ns_ = 0;
        return poll_ns;
    }
    int64_t interval = ramp_interval_ns_;
    ramp_interval_ns_ *= 2;
    return interval;
}

SourceActions Source::start(int64_t now_ns, Random& rng) {
    SourceActions a;
    if (cfg_.iburst) {
        burst_left_ = kBurstMaxRequests;
        startup_burst_ = true;
        a.timer_at_ns = now_ns;
    } else {
        // Spread the first requests of many sources over a couple of seconds.
        a.timer_at_ns = proto::sat_add(now_ns, static_cast<int64_t>(rng.next_unit() * 2e9));
    }
    return a;
}

bool Source::bursting() const {
    // Done once enough replies came back, even before the next timer tidies up.
    return burst_left_ > 0 && !(burst_sent_ >= kIburstCount && burst_replies_ >= kIburstCount);
}

SourceActions Source::burst(int64_t now_ns) {
    SourceActions a;
    if (demobilized_ || bursting()) return a;
    const int64_t min_interval_ns = proto::PollInterval{cfg_.minpoll_log2}.to_ns();
    if (last_burst_ns_ != INT64_MIN && proto::sat_sub(now_ns, last_burst_ns_) < min_interval_ns)
        return a;
    last_burst_ns_ = now_ns;
    burst_left_ = kBurstMaxRequests;
    burst_sent_ = 0;
    burst_replies_ = 0;
    a.timer_at_ns = now_ns;
    return a;
}

SourceActions Source::on_timer(int64_t now_ns, Random& rng) {
    SourceActions a;
    if (demobilized_) return a;
    if (burst_left_ > 0 && burst_sent_ >= kIburstCount && burst_replies_ >= kIburstCount) {
        // iburst done (this timer only checked that the last reply came): normal polling, after
        // the start-up ramp.
        burst_left_ = 0;
        if (startup_burst_) ramp_interval_ns_ = kRampFirstFactor * kBurstSpacing_ns;
        startup_burst_ = false;
        a.timer_at_ns = proto::sat_add(sent_local_ns_, next_ramp_interval(poll_interval_ns()));
        return a;
    }
    reach_ = static_cast<uint8_t>(reach_ << 1);
    if (outstanding_) ++polls_since_reply_;
    poll_log2_ = effective_poll();

    // The request carries a random transmit timestamp (RFC 5905 / draft on data minimization):
    // the server echoes it as origin, which proves the reply answers this request, while the
    // real T1 stays here.
    proto::Packet req;
    req.version = 4;
    req.mode = proto::Mode::kClient;
    req.poll_log2 = static_cast<int8_t>(poll_log2_);
    req.transmit = proto::NtpTimestamp{rng.next_u64()};
    if (req.transmit.is_zero()) req.transmit.raw = 1;
    a.request.size = proto::serialize(req, a.request.bytes);
    a.send = true;
    sent_transmit_ = req.transmit;
    sent_local_ns_ = now_ns;
    outstanding_ = true;
    ++requests_sent_;

    int64_t interval = poll_interval_ns();
    if (burst_left_ == 0) interval = next_ramp_interval(interval);
    if (burst_left_ > 0) {
        // iburst: requests kBurstSpacing_ns apart until kIburstCount replies came back (lost
        // ones are retried), at most kBurstMaxRequests requests.
        --burst_left_;
        ++burst_sent_;
        // Or faster for a source configured to poll faster.
        if (burst_left_ > 0)
            interval = std::min(kBurstSpacing_ns, proto::PollInterval{cfg_.minpoll_log2}.to_ns());
    }
    a.timer_at_ns = proto::sat_add(now_ns, interval);
    if (cfg_.pool_member && ever_reached_ &&
        polls_since_reply_ >= cfg_.unreachable_polls_before_replace)
        a.reresolve = true;
    if (cfg_.pool_member && !ever_reached_ &&
        requests_sent_ >= static_cast<uint64_t>(cfg_.unreachable_polls_before_replace))
        a.reresolve = true;
    return a;
}

ResponseResult Source::on_response(std::span<const std::byte> datagram, int64_t t4_ns,
                                   int64_t now_ns, int64_t pending_slew_ns) {
    ResponseResult r;
    if (demobilized_) return r;
    auto parsed = proto::parse(datagram);
    if (!parsed) {
        r.outcome = ResponseOutcome::kMalformed;
        r.parse_error = parsed.error();
        return r;
    }
    const proto::Packet& p = *parsed;
    if (!outstanding_) return r;  // kUnexpected: nothing asked, or already answered

    // One order of validity tests, shared with ntpq-lite (proto::check_response): mode/version,
    // then origin (nothing in the reply, a KoD included, is believed unless it echoes the
    // transmit timestamp of our outstanding request), KoD, duplicate, zero timestamps, reference
    // time, synchronized, root distance.
    proto::CheckFailure f = proto::check_response(p, sent_transmit_, last_accepted_transmit_,
                                                  cfg_.max_root_distance_ns);
    if (f == proto::CheckFailure::kKissOfDeath) {
        auto kiss = proto::kiss_code(p);
        outstanding_ = false;
        last_kiss_ = kiss.value_or(proto::KissCode::kOther);
        last_kiss_time_ns_ = now_ns;
        r.check = f;
        if (last_kiss_ == proto::KissCode::kRate) {
            // Back off: at least one step longer than now and no shorter than the server asks.
            kod_poll_floor_log2_ =
                std::min(kMaxPollLog2,
                         std::max<int>({poll_log2_ + 1, p.poll_log2, kod_poll_floor_log2_ + 1}));
            poll_log2_ = effective_poll();
            r.outcome = ResponseOutcome::kKissRate;
            ramp_interval_ns_ = 0;  // asked to slow down: no faster start-up polls
            r.actions.timer_at_ns = proto::sat_add(sent_local_ns_, poll_interval_ns());
        } else if (last_kiss_ == proto::KissCode::kDeny || last_kiss_ == proto::KissCode::kRstr) {
            demobilized_ = true;
            r.outcome = ResponseOutcome::kKissDeny;
            r.actions.demobilize = true;
            r.actions.reresolve = cfg_.pool_member;
        } else {
            r.outcome = ResponseOutcome::kKissOther;
        }
        return r;
    }
    if (f != proto::CheckFailure::kNone) {
        r.outcome = ResponseOutcome::kFailedCheck;
        r.check = f;
        // A mismatched origin or a duplicate leaves the request outstanding: the real reply may
        // still come. Any other failure is the answer to our request.
        if (f != proto::CheckFailure::kDuplicate && f != proto::CheckFailure::kBogusOrigin &&
            f != proto::CheckFailure::kBadModeOrVersion)
            outstanding_ = false;
        return r;
    }

    proto::Exchange ex{proto::NtpTimestamp::from_unix_ns(sent_local_ns_), p.receive, p.transmit,
                       proto::NtpTimestamp::from_unix_ns(t4_ns)};
    proto::ExchangeResult m = proto::compute_exchange(ex);
    // issue 14: absurd timestamps that passed the origin check never reach the filter.
    if (!proto::exchange_sane(m)) {
        r.outcome = ResponseOutcome::kFailedCheck;
        r.check = proto::CheckFailure::kInsaneExchange;
        outstanding_ = false;
        return r;
    }
    outstanding_ = false;
    last_accepted_transmit_ = p.transmit;
    reach_ |= 1;
    ++burst_replies_;
    ever_reached_ = true;
    polls_since_reply_ = 0;
    last_header_ = p;
    last_reply_time_ns_ = t4_ns;

    int64_t server_precision_ns =
        proto::PollInterval{std::max<int8_t>(p.precision_log2, -30)}.to_ns();
    FilterSample s;
    s.offset_ns = proto::sat_sub(m.offset_ns, pending_slew_ns);
    s.delay_ns = std::max<int64_t>(m.delay_ns, kLocalPrecision_ns);
    s.dispersion_ns = server_precision_ns + kLocalPrecision_ns +
                      proto::sat_round(ClockFilter::kPhi *
                                       static_cast<double>(proto::sat_sub(t4_ns, sent_local_ns_)));
    s.local_time_ns = t4_ns;
    // The spike gate uses the jitter before this sample joins (a spike inflates it).
    const auto before = filter_.current(t4_ns);
    const int64_t prior_jitter_ns = before ? before->jitter_ns : 0;
    r.filter = filter_.add(s);
    r.outcome = ResponseOutcome::kAccepted;
    // Popcorn spike (RFC 5905 clock_filter): far from the last sample used, with that one still
    // recent. Issue 11: a clock whose frequency jumped must not run free for two more polls, so
    // a sample beyond kSuspectGate jitters is held back and the next request brought forward
    // to kBurstSpacing_ns. If that next sample is also beyond the gate on the same side, the
    // two are a confirmed move and go to the discipline together (one sample is a spike, two in
    // a row are a move). If not, a held sample beyond kSpikeGate is dropped as a spike and one
    // between the gates goes with the next one as an ordinary sample.
    const bool pending = held_time_ns_ != INT64_MIN;
    const int64_t diff_ns = proto::sat_sub(s.offset_ns, last_used_offset_ns_);
    const int64_t jitter_ns = std::max<int64_t>(prior_jitter_ns, kLocalPrecision_ns);
    if (pending) {
        // Judged with the gates the held sample failed: it has joined the filter and inflated
        // the jitter since.
        const int64_t held_diff_ns = proto::sat_sub(held_.offset_ns, last_used_offset_ns_);
        const bool beyond = diff_ns > held_suspect_gate_ns_ || diff_ns < -held_suspect_gate_ns_;
        const bool confirms = beyond && (diff_ns > 0) == (held_diff_ns > 0);
        r.confirmed_change = confirms;
        if (confirms || !held_is_spike_) r.held = held_;
        held_time_ns_ = INT64_MIN;
        // Not confirming and itself far out: a spike (no second early request).
        if (!confirms && (diff_ns > held_spike_gate_ns_ || diff_ns < -held_spike_gate_ns_)) {
            r.spike = true;
            r.held.reset();
        }
    } else if (spike_gate_ && last_used_time_ns_ != INT64_MIN &&
               proto::sat_sub(t4_ns, last_used_time_ns_) < 2 * poll_interval_ns()) {
        const int64_t suspect_gate_ns =
            proto::sat_trunc(kSuspectGate * static_cast<double>(jitter_ns));
        if (diff_ns > suspect_gate_ns || diff_ns < -suspect_gate_ns) {
            r.spike = true;  // held back, for now
            held_ = s;
            held_time_ns_ = t4_ns;
            held_suspect_gate_ns_ = suspect_gate_ns;
            held_spike_gate_ns_ =
                __builtin_mul_overflow(kSpikeGate, jitter_ns, &held_spike_gate_ns_)
                    ? proto::kInt64Max
                    : held_spike_gate_ns_;
            held_is_spike_ = diff_ns > held_spike_gate_ns_ || diff_ns < -held_spike_gate_ns_;
            if (burst_left_ == 0) r.actions.timer_at_ns = proto::sat_add(t4_ns, kBurstSpacing_ns);
        }
    }
    return r;
}

void Source::note_sample_used(int64_t offset_ns, int64_t used_ns) {
    last_used_offset_ns_ = offset_ns;
    last_used_time_ns_ = used_ns;
}

void Source::on_clock_correction(int64_t slew_ns, double dfreq_ppm, int64_t at_ns, bool was_step) {
    filter_.rebase(slew_ns, dfreq_ppm, at_ns);
    if (last_used_time_ns_ != INT64_MIN)
        last_used_offset_ns_ =
            rebased_offset(last_used_offset_ns_, last_used_time_ns_, slew_ns, dfreq_ppm, at_ns);
    if (held_time_ns_ != INT64_MIN) {
        held_.offset_ns =
            rebased_offset(held_.offset_ns, held_.local_time_ns, slew_ns, dfreq_ppm, at_ns);
        if (was_step) {
            held_.local_time_ns = proto::sat_add(held_.local_time_ns, slew_ns);
            held_time_ns_ = held_.local_time_ns;
        }
    }
    if (was_step && last_used_time_ns_ != INT64_MIN)
        last_used_time_ns_ = proto::sat_add(last_used_time_ns_, slew_ns);
    if (was_step) {
        outstanding_ = false;  // T1 was read on the old timescale
        // The next poll is timed from the last request: keep that on the new timescale too, or
        // a step back of 10 s would delay it by 10 s (and one forward fire it at once).
        sent_local_ns_ = proto::sat_add(sent_local_ns_, slew_ns);
    }
}

void Source::set_poll_hint(int8_t poll_log2) {
    poll_hint_log2_ = poll_log2;
}

}  // namespace ntplite::clock
