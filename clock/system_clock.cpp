#include "clock/system_clock.hpp"

#include <algorithm>
#include <cmath>

namespace ntplite::clock {

SimulatedClock::SimulatedClock(const SimulatedClockParams& p, int64_t true_start_ns)
    : params_(p),
      rng_(p.seed),
      true_ns_(true_start_ns),
      offset_ns_(static_cast<double>(p.initial_offset_ns)),
      intrinsic_ppm_(p.frequency_error_ppm) {}

void SimulatedClock::integrate(double dt_s) {
    // Within one piece the rate is constant except that a slew may finish part way through.
    double drift_ppm = intrinsic_ppm_ + freq_ppm_;
    double slew_rate_ns_per_s = params_.max_slew_ppm * 1e3;
    double slew_time_s = pending_slew_ns_ == 0.0
                             ? 0.0
                             : std::min(dt_s, std::abs(pending_slew_ns_) / slew_rate_ns_per_s);
    double slewed_ns = std::copysign(slew_time_s * slew_rate_ns_per_s, pending_slew_ns_);
    if (slew_time_s >= std::abs(pending_slew_ns_) / slew_rate_ns_per_s)
        slewed_ns = pending_slew_ns_;
    pending_slew_ns_ -= slewed_ns;
    offset_ns_ += drift_ppm * 1e3 * dt_s + slewed_ns;
}

void SimulatedClock::advance_to(int64_t true_ns) {
    if (true_ns <= true_ns_) return;
    double remaining_s = static_cast<double>(true_ns - true_ns_) * 1e-9;
    while (remaining_s > 0.0) {
        // Wander is a random walk of the rate with one step per simulated second.
        double until_step_s = 1.0 - wander_carry_s_;
        double piece_s = std::min(remaining_s, until_step_s);
        integrate(piece_s);
        remaining_s -= piece_s;
        wander_carry_s_ += piece_s;
        if (wander_carry_s_ >= 1.0 - 1e-12) {
            wander_carry_s_ = 0.0;
            if (params_.wander_ppm_per_s != 0.0)
                intrinsic_ppm_ += params_.wander_ppm_per_s * normal_(rng_);
        }
    }
    true_ns_ = true_ns;
}

int64_t SimulatedClock::now_ns() const {
    return true_ns_ + std::llround(offset_ns_);
}

int64_t SimulatedClock::local_at(int64_t true_ns) const {
    double dt_s = static_cast<double>(true_ns - true_ns_) * 1e-9;
    double slew_rate_ns_per_s = params_.max_slew_ppm * 1e3;
    double slewed = std::copysign(std::min(std::abs(pending_slew_ns_), slew_rate_ns_per_s * dt_s),
                                  pending_slew_ns_);
    return true_ns + std::llround(offset_ns_ + (intrinsic_ppm_ + freq_ppm_) * 1e3 * dt_s + slewed);
}

int64_t SimulatedClock::true_at(int64_t local_ns) const {
    double rate = 1.0 + (intrinsic_ppm_ + freq_ppm_) * 1e-6;
    double dlocal = static_cast<double>(local_ns - now_ns());
    return true_ns_ + std::llround(dlocal / rate);
}

void SimulatedClock::adjust_frequency(double ppm) {
    double old = freq_ppm_;
    freq_ppm_ = ppm;
    if (old != ppm) notify_frequency(old, ppm, now_ns());
}

void SimulatedClock::step(int64_t offset_ns) {
    offset_ns_ += static_cast<double>(offset_ns);
    pending_slew_ns_ = 0.0;
    ++steps_;
    notify_step(offset_ns, now_ns());
}

}  // namespace ntplite::clock
