#include "clock/filter.hpp"

#include <algorithm>
#include <cmath>

namespace ntplite::clock {

FilterOutput ClockFilter::add(const FilterSample& s) {
    samples_[next_] = s;
    next_ = (next_ + 1) % kSize;
    count_ = std::min(count_ + 1, kSize);
    FilterOutput out = *evaluate(s.local_time_ns);
    if (out.best.local_time_ns > last_used_time_ns_) {
        out.is_new = true;
        last_used_time_ns_ = out.best.local_time_ns;
    }
    return out;
}

std::optional<FilterOutput> ClockFilter::current(int64_t now_ns) const {
    return evaluate(now_ns);
}

std::optional<FilterOutput> ClockFilter::evaluate(int64_t now_ns) const {
    if (count_ == 0) return std::nullopt;
    // Sort by delay; ties go to the newer sample (smaller age).
    std::array<const FilterSample*, kSize> order{};
    for (int i = 0; i < count_; ++i) order[i] = &samples_[(next_ - 1 - i + kSize) % kSize];
    std::stable_sort(
        order.begin(), order.begin() + count_,
        [](const FilterSample* a, const FilterSample* b) { return a->delay_ns < b->delay_ns; });
    FilterOutput out;
    out.best = *order[0];
    double disp = 0.0;
    double weight = 0.5;
    double jitter_sq = 0.0;
    for (int i = 0; i < count_; ++i) {
        // Saturating differences: a clock jumped by someone else (or a step) can put stored
        // sample times anywhere in the int64 range.
        double age_s =
            std::max<double>(0.0, proto::diff_double(now_ns, order[i]->local_time_ns) * 1e-9);
        disp += weight * (static_cast<double>(order[i]->dispersion_ns) + kPhi * 1e9 * age_s);
        weight *= 0.5;
        double d = proto::diff_double(order[i]->offset_ns, out.best.offset_ns);
        jitter_sq += d * d;
    }
    out.measured_dispersion_ns = proto::sat_trunc(disp);
    for (int i = count_; i < kSize; ++i) {
        disp += weight * static_cast<double>(kMaxDispersion_ns);
        weight *= 0.5;
    }
    out.dispersion_ns = proto::sat_trunc(disp);
    out.jitter_ns = count_ > 1 ? proto::sat_trunc(std::sqrt(jitter_sq / (count_ - 1))) : 0;
    return out;
}

void ClockFilter::rebase(int64_t slew_ns, double dfreq_ppm, int64_t at_ns) {
    for (int i = 0; i < count_; ++i) {
        FilterSample& s = samples_[(next_ - 1 - i + kSize) % kSize];
        s.offset_ns = rebased_offset(s.offset_ns, s.local_time_ns, slew_ns, dfreq_ppm, at_ns);
        // Keep the time axis on the corrected scale (matters for steps).
        s.local_time_ns = proto::sat_add(s.local_time_ns, slew_ns);
    }
    if (last_used_time_ns_ != INT64_MIN)
        last_used_time_ns_ = proto::sat_add(last_used_time_ns_, slew_ns);
}

void ClockFilter::clear() {
    count_ = 0;
    next_ = 0;
    last_used_time_ns_ = INT64_MIN;
}

}  // namespace ntplite::clock
