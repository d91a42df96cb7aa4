#include "clock/discipline.hpp"

#include <algorithm>
#include <cmath>

#include "proto/saturate.hpp"

namespace ntplite::clock {

const char* to_string(ClockAction a) {
    switch (a) {
        case ClockAction::kNone:
            return "none";
        case ClockAction::kSlew:
            return "slew";
        case ClockAction::kStep:
            return "step";
        case ClockAction::kStepCapped:
            return "step-capped";
        case ClockAction::kPanic:
            return "panic";
    }
    return "?";
}

Discipline::Discipline(const DisciplineConfig& cfg, bool clock_adjusts,
                       double initial_frequency_ppm)
    : cfg_(cfg), clock_adjusts_(clock_adjusts), frequency_ppm_(initial_frequency_ppm) {}

namespace {

constexpr double kSpanFactor = 1.0;
// Frequency error taken at two standard errors when deciding whether a longer poll is safe.
constexpr double kSettledMargin = 2.0;
// ... and the drift it may cause over the longer poll: at most the noise, and at most this.
// Tied to the noise alone, a WAN path (~0.4 ms of scatter) let the poll reach 1024 s with a
// 0.1 ppm frequency error, ~100 us of drift per poll (RMS 227 us). Issue 11 (10 seeds, with
// the 128-sample window): 20 us let the WAN poll grow to 128 s (RMS 88 us median, 104 worst);
// 7 us keeps it at 64 s until the estimate is good (61 / 72 us) and costs the LAN reference
// 0.5 us RMS (15.2 -> 15.7 us median); 5-6 us cost it more for no WAN gain.
constexpr double kPollDriftTarget_ns = 7e3;

struct Fit {
    double a = 0.0;  // offset at t = 0 (the newest point), ns
    double b = 0.0;  // slope, ns per ns
    double rms = 0.0;
    double a_var = 0.0;  // variance of a
    double b_var = 0.0;  // variance of b
    int runs = 0;
    // For predictions: weighted mean time (relative to t0), sum of weights, weighted sum of
    // squared time deviations, and chi-square per degree of freedom (residual scale squared:
    // how much larger than the weights say the errors really are).
    double tm = 0.0;
    double sw = 0.0;
    double stt = 0.0;
    double chi2 = 0.0;
    /// Variance of the fitted line at `t` (relative to t0), in units of the weights (multiply
    /// by the residual scale squared).
    double line_var(double t) const {
        return sw > 0.0 ? 1.0 / sw + (stt > 0.0 ? (t - tm) * (t - tm) / stt : 0.0) : 0.0;
    }
};

// Weighted least squares of offset over time (relative to t0) for points [first, end).
template <typename P>
Fit fit_line(const std::vector<P>& pts, std::size_t first, std::size_t end, double t0,
             const std::vector<double>& w) {
    Fit f;
    double sw = 0, st = 0, so = 0;
    for (std::size_t i = first; i < end; ++i) {
        sw += w[i];
        st += w[i] * (pts[i].t_ns - t0);
        so += w[i] * pts[i].offset_ns;
    }
    double tm = st / sw, om = so / sw;
    double stt = 0, sto = 0;
    for (std::size_t i = first; i < end; ++i) {
        double dt = pts[i].t_ns - t0 - tm;
        stt += w[i] * dt * dt;
        sto += w[i] * dt * (pts[i].offset_ns - om);
    }
    f.b = stt > 0 ? sto / stt : 0.0;
    f.a = om - f.b * tm;
    double ss = 0;
    int prev_sign = 0;
    std::size_t m = end - first;
    for (std::size_t i = first; i < end; ++i) {
        double r = pts[i].offset_ns - (f.a + f.b * (pts[i].t_ns - t0));
        ss += w[i] * r * r;
        int sign = r >= 0 ? 1 : -1;
        if (sign != prev_sign) ++f.runs;
        prev_sign = sign;
    }
    double dof = m > 2 ? static_cast<double>(m - 2) : 1.0;
    double var = ss / sw * static_cast<double>(m) / dof;  // weighted residual variance
    f.rms = std::sqrt(var);
    f.a_var = stt > 0 ? var * (1.0 / static_cast<double>(m) + tm * tm / (stt / sw)) : var;
    // Divided by the effective number of samples (Kish), not m: a window carried by a few
    // low-delay points knows its slope only as well as those few points say.
    double sw2 = 0.0;
    for (std::size_t i = first; i < end; ++i) sw2 += w[i] * w[i];
    double neff = sw2 > 0.0 ? std::max(1.0, sw * sw / sw2) : static_cast<double>(m);
    f.b_var = stt > 0 && m > 2 ? var / (stt / sw) / neff : 0.0;
    f.tm = tm;
    f.sw = sw;
    f.stt = stt;
    f.chi2 = m > 2 ? ss / dof : 0.0;
    return f;
}

template <typename P>
Fit fit_line(const std::vector<P>& pts, std::size_t first, double t0,
             const std::vector<double>& w) {
    return fit_line(pts, first, pts.size(), t0, w);
}

// Fewest runs of residual signs we accept from m points before calling the fit biased
// (normal approximation to the runs test, about 2 sigma below the mean).
int min_runs(std::size_t m) {
    double mean = (static_cast<double>(m) + 1.0) / 2.0;
    double sd = std::sqrt(static_cast<double>(m) - 1.0) / 2.0;
    return static_cast<int>(std::floor(mean - 2.0 * sd));
}

}  // namespace

std::vector<double> Discipline::weights() const {
    // Weight each point by how much its delay exceeds the smallest one in the window: the
    // extra delay bounds the extra error of the offset (half of it, either direction).
    const std::size_t n = points_.size();
    double min_delay = points_.front().delay_ns;
    for (const Point& p : points_) min_delay = std::min(min_delay, p.delay_ns);
    std::vector<double> w(n);
    // The error floor scales with the path's delay noise (median extra delay), so a WAN window
    // is not carried by its single luckiest sample; never below the configured minimum.
    std::vector<double> extras(n);
    for (std::size_t i = 0; i < n; ++i) extras[i] = (points_[i].delay_ns - min_delay) / 2.0;
    std::nth_element(extras.begin(), extras.begin() + static_cast<std::ptrdiff_t>(n / 2),
                     extras.end());
    double floor_ns = std::max(static_cast<double>(std::max<int64_t>(cfg_.regression_floor_ns, 1)),
                               cfg_.regression_floor_fraction * extras[n / 2]);
    for (std::size_t i = 0; i < n; ++i) {
        double extra = (points_[i].delay_ns - min_delay) / 2.0;
        w[i] = 1.0 / (floor_ns * floor_ns + extra * extra);
    }
    return w;
}

bool Discipline::detect_change(const std::vector<double>& w) {
    // Issue 11: a frequency that changed (temperature) must not be held wrong by the old
    // points for many polls. The runs test sees a change only after several points; here the
    // newest point (or the two newest) is compared with the line the older points predict,
    // with the error its delay allows plus the line's own uncertainty, scaled by how noisy
    // the older points really were (never below the weights' claim). Two points on the same
    // side beyond kChangeSigma, or one the source confirmed (the popcorn gate held back the
    // sample before it and this one agreed: two samples again), is a change: the older
    // points are replaced by one point on their line at the last time before the change (the
    // offset they knew, with the best weight), so the new frequency is measured from there.
    // A delay spike cannot trigger this (its extra delay widens its allowed error); a popcorn
    // offset without extra delay has been held back by the source's spike gate unless the
    // next sample confirmed it.
    constexpr std::size_t kMinHistory = 8;
    constexpr double kChangeSigma = 3.0;
    // Confirmed points have passed the source's gate (3 x jitter) twice already; their
    // weighted mean is tested.
    constexpr double kConfirmedChangeSigma = 2.0;
    constexpr double kChangeNoise = 3.0;
    const std::size_t n = points_.size();
    std::size_t confirmed = 0;
    while (confirmed < std::min<std::size_t>(n, 2) && points_[n - 1 - confirmed].confirmed)
        ++confirmed;
    for (std::size_t k = 1; k <= 2; ++k) {
        if (n < kMinHistory + k) continue;
        const bool by_confirmation = k <= confirmed;
        if (k == 1 && !by_confirmation) continue;  // one point alone: only if confirmed
        const std::size_t h = n - k;               // first point after the change
        const double tp = points_[h - 1].t_ns;
        Fit old = fit_line(points_, 0, h, tp, w);
        const double scale2 = std::max(1.0, old.chi2);
        // ... and beyond kChangeNoise x the plain (unweighted) RMS residual of the older points:
        // a sample's delay bounds its error only against the true minimum delay, which a
        // filter's 8 samples may not have seen.
        double plain_ss = 0.0;
        for (std::size_t i = 0; i < h; ++i) {
            const double r = points_[i].offset_ns - (old.a + old.b * (points_[i].t_ns - tp));
            plain_ss += r * r;
        }
        const double plain_rms =
            std::sqrt(plain_ss / static_cast<double>(std::max<std::size_t>(h - 2, 1)));
        bool change = false;
        if (by_confirmation) {
            double swr = 0.0, sw = 0.0, dt_mean = 0.0;
            for (std::size_t j = h; j < n; ++j) {
                const double dt = points_[j].t_ns - tp;
                swr += w[j] * (points_[j].offset_ns - (old.a + old.b * dt));
                sw += w[j];
                dt_mean += w[j] * dt;
            }
            const double r = swr / sw;
            const double sd = std::sqrt(scale2 * (1.0 / sw + old.line_var(dt_mean / sw)));
            change = std::abs(r) > std::max(kConfirmedChangeSigma * sd, kChangeNoise * plain_rms);
        } else {
            int sign = 0;
            change = true;
            for (std::size_t j = h; j < n && change; ++j) {
                const double dt = points_[j].t_ns - tp;
                const double r = points_[j].offset_ns - (old.a + old.b * dt);
                const double sd = std::sqrt(scale2 * (1.0 / w[j] + old.line_var(dt)));
                const double limit = std::max(kChangeSigma * sd, kChangeNoise * plain_rms);
                const int s = r > limit ? 1 : r < -limit ? -1 : 0;
                if (s == 0 || (sign != 0 && s != sign)) change = false;
                sign = s;
            }
        }
        if (!change) continue;
        // The change happened since the previous point, or within the poll interval before
        // the first new one, whichever is earlier (with several sources the previous point
        // may be another source's, seconds before).
        const double th = std::min(tp, points_[h].t_ns - points_[h].poll_ns);
        double min_delay = points_.front().delay_ns;
        for (std::size_t i = 0; i < h; ++i) min_delay = std::min(min_delay, points_[i].delay_ns);
        Point anchor{th, old.a + old.b * (th - tp), min_delay, points_[h - 1].poll_ns, false};
        points_.erase(points_.begin(), points_.begin() + static_cast<std::ptrdiff_t>(h));
        points_.insert(points_.begin(), anchor);
        ++changes_;
        changed_ = true;
        return true;
    }
    return false;
}

void Discipline::estimate_regression(int64_t now_ns, double* offset_now, double* slope,
                                     double* err) {
    std::size_t n = points_.size();
    double t0 = points_.back().t_ns;
    if (n == 1) {
        *offset_now = points_.back().offset_ns;
        *slope = 0.0;
        *err = 0.0;
        return;
    }
    std::vector<double> w = weights();
    if (detect_change(w)) {
        n = points_.size();
        w = weights();
    }
    // Use the longest window whose residuals look random (runs test); drop the oldest points
    // otherwise, so the estimate follows a wandering frequency.
    std::size_t first = 0;
    Fit f;
    for (;; ++first) {
        f = fit_line(points_, first, t0, w);
        std::size_t m = n - first;
        if (m <= 3 || f.runs >= min_runs(m)) break;
    }
    points_.erase(points_.begin(), points_.begin() + static_cast<std::ptrdiff_t>(first));
    residual_rms_ns_ = f.rms;
    // Kish effective sample size: how many equally good samples the weighted window is worth.
    double sw = 0.0, sw2 = 0.0;
    for (std::size_t i = first; i < n; ++i) {
        sw += w[i];
        sw2 += w[i] * w[i];
    }
    effective_samples_ = sw2 > 0.0 ? sw * sw / sw2 : 0.0;
    // A slope from two points has no error estimate: use it only if they are far enough apart
    // that their noise cannot dominate (iburst points 2 s apart wait for a third; points a
    // poll apart, after iburst losses, are used so a large frequency error is not left running).
    // From three points on, shrink a slope that is not clearly above its standard error toward
    // zero, so a few noisy points close together cannot throw the frequency around.
    std::size_t m = n - first;
    constexpr double kTwoPointMinSpan_ns = 5e9;
    // No frequency from a window shorter than this: start-up offsets carry up to ~200 us of
    // path noise, which over a 2-4 s baseline reads as a 50-100 ppm error (most of the iburst,
    // 0..6 s, is the shortest baseline used).
    constexpr double kMinFrequencySpan_ns = 2e9;
    double span_ns = points_.back().t_ns - points_.front().t_ns;
    if (span_ns < kMinFrequencySpan_ns) {
        *slope = 0.0;
    } else if (m == 2) {
        *slope = span_ns >= kTwoPointMinSpan_ns ? f.b : 0.0;
    } else {
        *slope = f.b_var > 0.0 ? f.b * (f.b * f.b) / (f.b * f.b + f.b_var) : f.b;
    }
    slope_sd_ = m > 2 ? std::sqrt(f.b_var) : 1.0;
    *offset_now = f.a + f.b * (static_cast<double>(now_ns) - t0);
    *err = std::sqrt(f.a_var);
}

void Discipline::estimate_pll(const DisciplineSample& s, double* offset_now, double* dfreq) {
    // RFC 5905 11.3-style hybrid loop. Phase 0: take the first offset whole. Phase 1: measure
    // the frequency from the drift of the (re-based) offsets over a few polls, correcting the
    // phase fully meanwhile. Phase 2: type II PLL (FLL added for long intervals).
    double theta = static_cast<double>(s.offset_ns);
    double poll_s = std::ldexp(1.0, s.poll_log2);
    *dfreq = 0.0;
    if (pll_phase_ == 0) {
        *offset_now = theta;
        pll_phase_ = 1;
        pll_first_time_ns_ = s.sample_time_ns;
        pll_first_offset_ns_ = theta;  // re-based to ~0 by the correction below
        pll_last_time_ns_ = s.sample_time_ns;
        pll_last_offset_ns_ = theta;
        return;
    }
    double mu_s = proto::diff_double(s.sample_time_ns, pll_last_time_ns_) * 1e-9;
    if (pll_phase_ == 1) {
        double span_s = proto::diff_double(s.sample_time_ns, pll_first_time_ns_) * 1e-9;
        *offset_now = theta;
        if (span_s >= 4.0 * poll_s) {
            *dfreq = (theta - pll_first_offset_ns_) / (span_s * 1e9) * 1e6;  // ppm
            pll_phase_ = 2;
        }
    } else {
        constexpr double kPll = 16.0;  // loop time constant in poll intervals
        constexpr double kAllan_s = 2048.0;
        constexpr double kFll = 4.0;
        double tau_s = kPll * poll_s;
        double fraction = std::min(1.0, mu_s / tau_s);
        *offset_now = theta * fraction;
        double dfreq_rel = theta * 1e-9 * mu_s / ((4.0 * tau_s) * (4.0 * tau_s) / 4.0);
        if (mu_s > kAllan_s / 2.0)
            dfreq_rel += (theta - pll_last_offset_ns_) * 1e-9 / std::max(mu_s, kAllan_s) / kFll;
        *dfreq = dfreq_rel * 1e6;
    }
    pll_last_time_ns_ = s.sample_time_ns;
    pll_last_offset_ns_ = theta;
}

void Discipline::push_point(const DisciplineSample& s) {
    Point p{static_cast<double>(s.sample_time_ns), static_cast<double>(s.offset_ns),
            static_cast<double>(s.delay_ns), std::ldexp(1e9, s.poll_log2), s.confirmed_change};
    // Kept in time order (a batch may come in any order).
    auto at = std::upper_bound(points_.begin(), points_.end(), p.t_ns,
                               [](double t, const Point& q) { return t < q.t_ns; });
    points_.insert(at, p);
    if (static_cast<int>(points_.size()) > cfg_.max_regression_samples)
        points_.erase(points_.begin());
}

Adjustment Discipline::update(const DisciplineSample& s, int64_t now_ns) {
    if (cfg_.algorithm == DisciplineAlgorithm::kRegression) push_point(s);
    return finish_update(s, now_ns);
}

Adjustment Discipline::update_batch(std::span<const DisciplineSample> samples,
                                    const DisciplineSample& last, int64_t now_ns) {
    if (cfg_.algorithm != DisciplineAlgorithm::kRegression || samples.empty())
        return update(last, now_ns);
    for (const DisciplineSample& s : samples) push_point(s);
    return finish_update(last, now_ns);
}

Adjustment Discipline::finish_update(const DisciplineSample& s, int64_t now_ns) {
    ++updates_;
    if (!poll_started_) {
        poll_log2_ = s.minpoll_log2;
        poll_started_ = true;
    }
    double offset_now = 0.0, dfreq_ppm = 0.0, err = 0.0;
    changed_ = false;
    if (cfg_.algorithm == DisciplineAlgorithm::kRegression) {
        // The time limit never cuts the window below kMinWindow points, so long polls still
        // have enough samples to average.
        constexpr std::size_t kMinWindow = 8;
        // The useful span grows with the noise: averaging white phase noise sigma against a
        // frequency random walk q is best over about (sigma / q)^(2/3) seconds.
        double span_ns = static_cast<double>(cfg_.max_regression_span_ns);
        if (cfg_.assumed_wander_per_sqrt_s > 0.0 && residual_rms_ns_ > 0.0) {
            double sigma_s = residual_rms_ns_ * 1e-9;
            span_ns = std::max(
                span_ns,
                kSpanFactor * std::pow(sigma_s / cfg_.assumed_wander_per_sqrt_s, 2.0 / 3.0) * 1e9);
        }
        while (points_.size() > kMinWindow && points_.back().t_ns - points_.front().t_ns > span_ns)
            points_.erase(points_.begin());
        double slope = 0.0;
        estimate_regression(now_ns, &offset_now, &slope, &err);
        if (clock_adjusts_) {
            dfreq_ppm = slope * 1e6;
        } else {
            // Observe mode: the clock is never corrected, so the slope is the whole error.
            estimated_frequency_ppm_ = slope * 1e6;
        }
    } else {
        estimate_pll(s, &offset_now, &dfreq_ppm);
        err = static_cast<double>(s.jitter_ns);
    }
    Adjustment adj = decide(offset_now, dfreq_ppm, now_ns);
    adj.estimated_error_ns = err;
    if (!clock_adjusts_ && cfg_.algorithm == DisciplineAlgorithm::kRegression)
        adj.frequency_ppm = frequency_ppm_ + estimated_frequency_ppm_;
    adapt_poll(offset_now, s);
    return adj;
}

Adjustment Discipline::decide(double offset_now_ns, double dfreq_ppm, int64_t now_ns) {
    Adjustment adj;
    // issue 14: saturating, so an absurd estimate is a huge offset (refused by the panic check)
    // rather than llround's INT64_MIN, whose negation was undefined behaviour.
    int64_t offset = proto::sat_round(offset_now_ns);
    adj.wanted_offset_ns = offset;
    adj.frequency_ppm = frequency_ppm_;
    int64_t magnitude = proto::sat_abs(offset);
    if (cfg_.panic_threshold_ns > 0 && magnitude > cfg_.panic_threshold_ns) {
        // Refuse: an offset this large means a broken source or a broken clock; a person must
        // decide. The engine logs it and keeps measuring.
        adj.action = ClockAction::kPanic;
        return adj;
    }
    double new_freq =
        std::clamp(frequency_ppm_ + dfreq_ppm, -cfg_.max_frequency_ppm, cfg_.max_frequency_ppm);
    bool step_allowed = cfg_.step_limit_updates < 0 || updates_ <= cfg_.step_limit_updates;
    if (magnitude > cfg_.step_threshold_ns && step_allowed) {
        adj.action = ClockAction::kStep;
        adj.offset_ns = offset;
        if (cfg_.max_backward_step_ns >= 0 && offset < -cfg_.max_backward_step_ns) {
            adj.action = ClockAction::kStepCapped;
            adj.offset_ns = -cfg_.max_backward_step_ns;
            adj.slew_ns = offset - adj.offset_ns;
        }
    } else {
        adj.action = ClockAction::kSlew;
        adj.offset_ns = offset;
    }
    if (clock_adjusts_) {
        adj.frequency_change_ppm = new_freq - frequency_ppm_;
        frequency_ppm_ = new_freq;
        bool step = adj.action == ClockAction::kStep || adj.action == ClockAction::kStepCapped;
        rebase(static_cast<double>(adj.offset_ns), adj.frequency_change_ppm, now_ns, step);
        if (adj.slew_ns != 0) rebase(static_cast<double>(adj.slew_ns), 0.0, now_ns, false);
    }
    adj.frequency_ppm = frequency_ppm_;
    return adj;
}

void Discipline::rebase(double slew_ns, double dfreq_ppm, int64_t at_ns, bool is_step) {
    // A step also moves the time axis of stored points (their local times were read on the old
    // timescale); a slew only changes what they read as offsets.
    for (Point& p : points_) {
        p.offset_ns -= slew_ns + dfreq_ppm * 1e-6 * (p.t_ns - static_cast<double>(at_ns));
        if (is_step) p.t_ns += slew_ns;
    }
    pll_first_offset_ns_ -=
        slew_ns + dfreq_ppm * 1e-6 * proto::diff_double(pll_first_time_ns_, at_ns);
    if (is_step) pll_first_time_ns_ = proto::sat_add(pll_first_time_ns_, proto::sat_trunc(slew_ns));
    pll_last_offset_ns_ -=
        slew_ns + dfreq_ppm * 1e-6 * proto::diff_double(pll_last_time_ns_, at_ns);
    if (is_step) pll_last_time_ns_ = proto::sat_add(pll_last_time_ns_, proto::sat_trunc(slew_ns));
}

void Discipline::on_external_step(int64_t offset_ns) {
    rebase(static_cast<double>(offset_ns), 0.0, 0, true);
}

void Discipline::adapt_poll(double offset_now_ns, const DisciplineSample& s) {
    // Lengthen the poll while corrections stay within the noise; shorten it on a surprise.
    double noise = std::max({static_cast<double>(s.jitter_ns), residual_rms_ns_, 1000.0});
    // A longer poll only once the frequency is known well enough that its error cannot carry
    // the clock further than the noise during the longer interval (regression only).
    bool frequency_settled =
        cfg_.algorithm != DisciplineAlgorithm::kRegression ||
        (points_.size() >= 8 && kSettledMargin * slope_sd_ * std::ldexp(1e9, poll_log2_ + 1) <
                                    std::min(noise, kPollDriftTarget_ns));
    if (changed_) {
        // The frequency changed: measure the new one at a shorter poll.
        --poll_log2_;
        poll_score_ = 0;
    } else if (std::abs(offset_now_ns) < 3.0 * noise) {
        if (++poll_score_ >= 4 && frequency_settled) {
            ++poll_log2_;
            poll_score_ = 0;
        }
    } else if (std::abs(offset_now_ns) > 8.0 * noise) {
        --poll_log2_;
        poll_score_ = 0;
    }
    poll_log2_ = std::clamp<int>(poll_log2_, s.minpoll_log2, s.maxpoll_log2);
}

}  // namespace ntplite::clock
