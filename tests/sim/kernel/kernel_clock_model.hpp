// A model of the Linux kernel clock (CLOCK_REALTIME and clock_adjtime) on virtual true time, for
// the simulator and unit tests. It follows kernel/time/ntp.c the way tests/shim/clock_shim.c
// does (a cross-check test replays the same calls through both and compares the trajectories):
//  - ADJ_FREQUENCY: ppm << 16, clamped to +-500 ppm;
//  - ADJ_TICK: 9,000..11,000 us per 1/USER_HZ (USER_HZ = 100): 1 us = 100 ppm, else EINVAL;
//  - ADJ_OFFSET_SINGLESHOT: adjtime, slewed at 500 ppm; a new one replaces the remainder, which
//    is returned (us) in timex.offset; ADJ_OFFSET_SS_READ reads it;
//  - ADJ_SETOFFSET (ADJ_NANO or us): a step; ADJ_STATUS, ADJ_MAXERROR, ADJ_ESTERROR stored
//    (maxerror grows by 500 us/s as in the kernel); plain ADJ_OFFSET with STA_PLL is EINVAL
//    (the kernel PLL is not modelled, and ntp-lite never uses it);
//  - the return value is TIME_ERROR while STA_UNSYNC is set, TIME_OK otherwise.
// The intrinsic rate error random-walks (one step per simulated second) so a discipline has a
// wandering frequency to follow. Pure: no system calls.
#pragma once

#include <sys/timex.h>

#include <cstdint>
#include <random>

namespace ntplite::sim {

/// The hardware under the model.
struct KernelClockParams {
    int64_t initial_offset_ns = 0;     ///< local - true at the start (positive = clock ahead)
    double frequency_error_ppm = 0.0;  ///< intrinsic rate error (positive = clock runs fast)
    double wander_ppm_per_s = 0.0;     ///< random-walk step of the rate error per second (sd)
    uint64_t seed = 1;                 ///< wander RNG seed
};

class KernelClockModel {
  public:
    explicit KernelClockModel(const KernelClockParams& p, int64_t true_start_ns = 0);

    /// Advance true time to `true_ns` (never backwards).
    void advance_to(int64_t true_ns);
    /// Change the intrinsic rate error at once (a temperature change), ppm.
    void set_intrinsic_frequency_ppm(double ppm) { intrinsic_ppm_ = ppm; }

    int64_t true_now_ns() const { return true_ns_; }
    /// CLOCK_REALTIME now (Unix ns).
    int64_t now_ns() const;
    /// Local minus true (ns), positive = ahead.
    double offset_from_true_ns() const { return offset_ns_; }
    double intrinsic_ppm() const { return intrinsic_ppm_; }
    /// Rate of the clock now, ppm: intrinsic + frequency + tick (singleshot slew excluded).
    double rate_ppm() const;
    /// Local reading at true `true_ns` >= now, if nothing changes meanwhile.
    int64_t local_at(int64_t true_ns) const;
    /// True time at which the clock will read `local_ns`, if nothing changes meanwhile.
    int64_t true_at(int64_t local_ns) const;

    /// clock_adjtime(CLOCK_REALTIME, &tx) with the kernel's semantics (see the top of the file).
    /// Returns TIME_OK / TIME_ERROR, or -1 with errno = EINVAL.
    int adjtimex(struct timex& tx);

    int steps() const { return steps_; }
    long tick_us() const { return tick_us_; }
    long freq_scaled() const { return freq_scaled_; }
    int status() const { return status_; }
    int64_t singleshot_left_ns() const { return static_cast<int64_t>(singleshot_ns_); }

  private:
    void integrate(double dt_s);
    void fill(struct timex& tx) const;

    std::mt19937_64 rng_;
    std::normal_distribution<double> normal_{0.0, 1.0};
    double wander_ppm_per_s_;
    int64_t true_ns_;
    double offset_ns_;
    double intrinsic_ppm_;
    double wander_carry_s_ = 0.0;
    long freq_scaled_ = 0;        // ADJ_FREQUENCY, ppm << 16
    long tick_us_ = 10'000;       // ADJ_TICK
    double singleshot_ns_ = 0.0;  // adjtime remainder
    int status_ = STA_UNSYNC;
    long maxerror_us_ = 16'000'000;
    int64_t maxerror_set_true_ns_ = 0;
    long esterror_us_ = 16'000'000;
    int steps_ = 0;
};

}  // namespace ntplite::sim
