// The clock discipline: from system offsets (server - local) over time, decide how to correct
// the local clock's offset (slew or step) and frequency. Pure: driven by samples and "now",
// returns adjustments; the engine applies them to a SystemClock.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "clock/config.hpp"

namespace ntplite::clock {

/// One system offset measurement handed to the discipline.
struct DisciplineSample {
    int64_t offset_ns = 0;       ///< server - local, positive = we are behind; already
                                 ///< compensated for slews still pending
    int64_t sample_time_ns = 0;  ///< local time of the measurement
    int64_t delay_ns = 0;        ///< round-trip delay of the measurement (weights it)
    int64_t jitter_ns = 0;       ///< the source/selection jitter
    int8_t poll_log2 = 6;        ///< poll interval of the source that produced it
    /// The source held back the previous sample as a popcorn spike and this one agrees with
    /// it: two samples say the offset really moved (see Discipline::detect_change).
    bool confirmed_change = false;
    int8_t minpoll_log2 = 6;  ///< poll range the hint must stay in
    int8_t maxpoll_log2 = 10;
};

/// What the discipline decided.
enum class ClockAction : uint8_t {
    kNone,        ///< nothing to correct yet
    kSlew,        ///< slew by offset_ns
    kStep,        ///< step by offset_ns
    kStepCapped,  ///< wanted to step further back than allowed: step by the cap (offset_ns),
                  ///< slew the rest (slew_ns)
    kPanic,       ///< offset beyond the panic threshold: nothing done (log it!)
};
const char* to_string(ClockAction a);

struct Adjustment {
    ClockAction action = ClockAction::kNone;
    int64_t offset_ns = 0;         ///< slew/step amount, positive = move the clock forward
    int64_t slew_ns = 0;           ///< kStepCapped: the rest, to slew after the step
    int64_t wanted_offset_ns = 0;  ///< the estimated offset at now (for kPanic / kStepCapped logs)
    double frequency_ppm = 0.0;    ///< new total frequency correction (positive = faster)
    double frequency_change_ppm = 0.0;  ///< change from the previous one
    double estimated_error_ns = 0.0;    ///< one-sigma error of the offset estimate
};

/// The estimator and the step/slew/panic policy.
class Discipline {
  public:
    /// `clock_adjusts` false (observe mode): estimates are made against the free-running clock
    /// and nothing is re-based.
    Discipline(const DisciplineConfig& cfg, bool clock_adjusts, double initial_frequency_ppm = 0.0);

    /// Feed one measurement at local time `now_ns` (>= sample time) and get the decision.
    Adjustment update(const DisciplineSample& s, int64_t now_ns);
    /// The first update after start: every sample the start-up burst collected (any order,
    /// each with its delay over its source's filter minimum), fitted together so the first
    /// decision has an offset AND a frequency. Counts as one update (for the step window).
    /// `last` carries the poll range and jitter; regression only (PLL/FLL takes `last` alone).
    Adjustment update_batch(std::span<const DisciplineSample> samples, const DisciplineSample& last,
                            int64_t now_ns);
    /// An external step (not decided here) moved the clock: re-base stored samples.
    void on_external_step(int64_t offset_ns);

    double frequency_ppm() const { return frequency_ppm_; }
    int updates() const { return updates_; }
    /// Suggested poll interval: grows while the estimates are quiet, shrinks on surprises.
    int8_t poll_hint_log2() const { return static_cast<int8_t>(poll_log2_); }
    /// RMS residual of the last estimate (ns): how noisy the measurements look.
    double residual_rms_ns() const { return residual_rms_ns_; }
    /// Effective number of equally weighted samples behind the last regression estimate.
    double effective_samples() const { return effective_samples_; }
    /// Samples in the regression window.
    std::size_t window_samples() const { return points_.size(); }
    /// Changes of frequency (or offset) detected so far: the older points were set aside.
    int changes_detected() const { return changes_; }

  private:
    struct Point {
        double t_ns;
        double offset_ns;
        double delay_ns;
        double poll_ns = 0.0;    // poll interval of the source that produced it
        bool confirmed = false;  // DisciplineSample::confirmed_change
    };
    void push_point(const DisciplineSample& s);
    Adjustment finish_update(const DisciplineSample& s, int64_t now_ns);
    std::vector<double> weights() const;
    bool detect_change(const std::vector<double>& w);
    void estimate_regression(int64_t now_ns, double* offset_now, double* slope, double* err);
    void estimate_pll(const DisciplineSample& s, double* offset_now, double* dfreq);
    Adjustment decide(double offset_now_ns, double dfreq_ppm, int64_t now_ns);
    void rebase(double slew_ns, double dfreq_ppm, int64_t at_ns, bool is_step);
    void adapt_poll(double offset_now_ns, const DisciplineSample& s);

    DisciplineConfig cfg_;
    bool clock_adjusts_;
    double frequency_ppm_;
    double estimated_frequency_ppm_ = 0.0;  // observe mode: estimate against the free clock
    int updates_ = 0;
    std::vector<Point> points_;
    double residual_rms_ns_ = 0.0;
    double effective_samples_ = 0.0;
    double slope_sd_ = 1.0;  // standard error of the last regression slope (ns/ns)
    int changes_ = 0;        // frequency changes detected (detect_change)
    bool changed_ = false;   // the last estimate detected one
    int poll_log2_ = 6;
    bool poll_started_ = false;
    int poll_score_ = 0;
    // PLL/FLL state
    int pll_phase_ = 0;  // 0 = first update, 1 = measuring frequency, 2 = locked
    double pll_first_offset_ns_ = 0.0;
    int64_t pll_first_time_ns_ = 0;
    double pll_last_offset_ns_ = 0.0;
    int64_t pll_last_time_ns_ = 0;
};

}  // namespace ntplite::clock
