// Per-source clock filter (RFC 5905 section 10): the last 8 measurements, of which the one with
// the smallest round-trip delay is the most trustworthy. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "proto/saturate.hpp"

namespace ntplite::clock {

/// One measurement of a source.
struct FilterSample {
    int64_t offset_ns = 0;      ///< server - local, positive = we are behind
    int64_t delay_ns = 0;       ///< round trip, >= 0
    int64_t dispersion_ns = 0;  ///< error bound from precision at measurement time
    int64_t local_time_ns = 0;  ///< local clock when measured (T4)
};

/// What the filter says about its source.
struct FilterOutput {
    FilterSample best;          ///< the minimum-delay sample
    int64_t jitter_ns = 0;      ///< RMS of offsets around the best one
    int64_t dispersion_ns = 0;  ///< RFC weighted sum of sample dispersions (empty = MAXDISP)
    /// The same sum over the filled stages only: what the samples themselves say. Used for the
    /// correctness intervals (so a young filter's MAXDISP does not make every source agree
    /// with every other) and for what we serve; `dispersion_ns` decides selectability.
    int64_t measured_dispersion_ns = 0;
    bool is_new = false;  ///< best is newer than what was last handed out
};

class ClockFilter {
  public:
    static constexpr int kSize = 8;
    /// Frequency tolerance used to age dispersion (RFC 5905 PHI = 15 ppm).
    static constexpr double kPhi = 15e-6;
    /// Dispersion of an empty filter stage (RFC 5905 MAXDISP = 16 s): a filter holding few
    /// samples reports a large dispersion, so a source is not selectable after one sample
    /// unless a burst has filled its filter (RFC 5905 section 10).
    static constexpr int64_t kMaxDispersion_ns = 16'000'000'000;

    /// Add a measurement and return the filter's view. `is_new` is false when the best sample
    /// is not newer than the last one returned as new (it must be used only once).
    FilterOutput add(const FilterSample& s);
    /// Current view without adding (for snapshots); dispersion aged to `now_ns`.
    std::optional<FilterOutput> current(int64_t now_ns) const;
    /// Shift stored offsets for a clock correction: the clock moved by `slew_ns` at `at_ns` and
    /// its rate changed by `dfreq_ppm` (positive = faster), so measurements taken earlier read
    /// as they would have with the corrected clock.
    void rebase(int64_t slew_ns, double dfreq_ppm, int64_t at_ns);
    void clear();
    int count() const { return count_; }
    /// The most recently added sample (re-based like the others); only valid if count() > 0.
    const FilterSample& newest() const { return samples_[(next_ - 1 + kSize) % kSize]; }
    /// The sample `age` places before the newest (0 = newest); only valid for age < count().
    const FilterSample& sample(int age) const {
        return samples_[(next_ - 1 - age + 2 * kSize) % kSize];
    }

  private:
    std::optional<FilterOutput> evaluate(int64_t now_ns) const;

    std::array<FilterSample, kSize> samples_{};  // ring, newest at (next_ - 1)
    int next_ = 0;
    int count_ = 0;
    int64_t last_used_time_ns_ = INT64_MIN;
};

/// Correction of one stored offset for a clock adjustment (see ClockFilter::rebase).
/// Saturating: the times and offsets can come from a clock someone else jumped arbitrarily far
/// (or from hostile replies), and signed overflow would be undefined behaviour.
inline int64_t rebased_offset(int64_t offset_ns, int64_t sample_time_ns, int64_t slew_ns,
                              double dfreq_ppm, int64_t at_ns) {
    // Exact when the difference fits (the normal case: bit-identical simulations).
    const double dt_s = proto::diff_double(sample_time_ns, at_ns) * 1e-9;
    return proto::sat_sub(proto::sat_sub(offset_ns, slew_ns),
                          proto::sat_trunc(dfreq_ppm * 1e3 * dt_s));
}

}  // namespace ntplite::clock
