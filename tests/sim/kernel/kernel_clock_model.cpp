#include "tests/sim/kernel/kernel_clock_model.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace ntplite::sim {

namespace {
constexpr double kPpmScale = 65536.0;            // timex.freq unit: 2^-16 ppm
constexpr long kMaxFreqScaled = 500L << 16;      // MAXFREQ
constexpr double kSingleshotRateNsPerS = 500e3;  // MAX_TICKADJ: 500 us/s
constexpr long kMinTick = 9'000, kMaxTick = 11'000, kNominalTick = 10'000;
constexpr double kPpmPerTickUs = 100.0;     // USER_HZ = 100
constexpr long kPhaseLimitUs = 16'000'000;  // NTP_PHASE_LIMIT
constexpr int kAdjAdjtime = 0x8000, kAdjOffsetReadonly = 0x2000;
}  // namespace

KernelClockModel::KernelClockModel(const KernelClockParams& p, int64_t true_start_ns)
    : rng_(p.seed),
      wander_ppm_per_s_(p.wander_ppm_per_s),
      true_ns_(true_start_ns),
      offset_ns_(static_cast<double>(p.initial_offset_ns)),
      intrinsic_ppm_(p.frequency_error_ppm),
      maxerror_set_true_ns_(true_start_ns) {}

double KernelClockModel::rate_ppm() const {
    return intrinsic_ppm_ + static_cast<double>(freq_scaled_) / kPpmScale +
           static_cast<double>(tick_us_ - kNominalTick) * kPpmPerTickUs;
}

void KernelClockModel::integrate(double dt_s) {
    double max_ns = kSingleshotRateNsPerS * dt_s;
    double slewed = std::clamp(singleshot_ns_, -max_ns, max_ns);
    singleshot_ns_ -= slewed;
    offset_ns_ += rate_ppm() * 1e3 * dt_s + slewed;
}

void KernelClockModel::advance_to(int64_t true_ns) {
    if (true_ns <= true_ns_) return;
    double remaining_s = static_cast<double>(true_ns - true_ns_) * 1e-9;
    while (remaining_s > 0.0) {
        double piece_s = std::min(remaining_s, 1.0 - wander_carry_s_);
        integrate(piece_s);
        remaining_s -= piece_s;
        wander_carry_s_ += piece_s;
        if (wander_carry_s_ >= 1.0 - 1e-12) {
            wander_carry_s_ = 0.0;
            if (wander_ppm_per_s_ != 0.0) intrinsic_ppm_ += wander_ppm_per_s_ * normal_(rng_);
        }
    }
    true_ns_ = true_ns;
}

int64_t KernelClockModel::now_ns() const {
    return true_ns_ + std::llround(offset_ns_);
}

int64_t KernelClockModel::local_at(int64_t true_ns) const {
    double dt_s = static_cast<double>(true_ns - true_ns_) * 1e-9;
    double max_ns = kSingleshotRateNsPerS * dt_s;
    double slewed = std::clamp(singleshot_ns_, -max_ns, max_ns);
    return true_ns + std::llround(offset_ns_ + rate_ppm() * 1e3 * dt_s + slewed);
}

int64_t KernelClockModel::true_at(int64_t local_ns) const {
    // local_at() is strictly increasing (rates within +-11 %): two Newton steps are exact to
    // the ns except across the end of a singleshot slew, where a third one settles it.
    double rate = 1.0 + rate_ppm() * 1e-6;
    int64_t t = true_ns_ + std::llround(static_cast<double>(local_ns - now_ns()) / rate);
    for (int i = 0; i < 3; ++i)
        t += std::llround(static_cast<double>(local_ns - local_at(t)) / rate);
    return t;
}

void KernelClockModel::fill(struct timex& tx) const {
    double since_s = static_cast<double>(true_ns_ - maxerror_set_true_ns_) * 1e-9;
    tx.freq = freq_scaled_;
    tx.maxerror = std::min<long>(kPhaseLimitUs, maxerror_us_ + std::lround(500.0 * since_s));
    tx.esterror = esterror_us_;
    tx.status = status_;
    tx.tick = tick_us_;
    tx.tolerance = kMaxFreqScaled;
    tx.precision = 1;
    int64_t now = now_ns();
    tx.time.tv_sec = static_cast<time_t>(now / 1'000'000'000);
    int64_t frac = now % 1'000'000'000;
    tx.time.tv_usec = static_cast<suseconds_t>((status_ & STA_NANO) ? frac : frac / 1000);
}

int KernelClockModel::adjtimex(struct timex& tx) {
    unsigned modes = tx.modes;
    bool singleshot = (modes & ADJ_OFFSET_SINGLESHOT) == ADJ_OFFSET_SINGLESHOT;
    int new_status =
        (modes & ADJ_STATUS) ? ((status_ & STA_RONLY) | (tx.status & ~STA_RONLY)) : status_;
    bool invalid = false;
    if ((modes & kAdjAdjtime) && !singleshot) {
        invalid = true;
    } else if (singleshot) {
        invalid = (modes & ~static_cast<unsigned>(ADJ_OFFSET_SS_READ)) != 0;
    } else {
        if ((modes & ADJ_TICK) && (tx.tick < kMinTick || tx.tick > kMaxTick)) invalid = true;
        if ((modes & ADJ_OFFSET) && (new_status & STA_PLL)) invalid = true;
        if (modes & ADJ_SETOFFSET) {
            long frac_limit = (modes & ADJ_NANO) ? 1'000'000'000L : 1'000'000L;
            if (tx.time.tv_usec < 0 || tx.time.tv_usec >= frac_limit) invalid = true;
        }
    }
    if (invalid) {
        errno = EINVAL;
        return -1;
    }
    if (singleshot) {
        long previous_us = static_cast<long>(singleshot_ns_ / 1000.0);  // truncated, like the shim
        if (!(modes & kAdjOffsetReadonly)) singleshot_ns_ = static_cast<double>(tx.offset) * 1000.0;
        fill(tx);
        tx.offset = previous_us;
    } else {
        if (modes & ADJ_SETOFFSET) {
            int64_t frac_ns = (modes & ADJ_NANO) ? tx.time.tv_usec : tx.time.tv_usec * 1000;
            offset_ns_ +=
                static_cast<double>(static_cast<int64_t>(tx.time.tv_sec) * 1'000'000'000 + frac_ns);
            ++steps_;
        }
        if (modes & ADJ_STATUS) status_ = new_status;
        if (modes & ADJ_NANO) status_ |= STA_NANO;
        if (modes & ADJ_MICRO) status_ &= ~STA_NANO;
        if (modes & ADJ_FREQUENCY)
            freq_scaled_ = std::clamp(tx.freq, -kMaxFreqScaled, kMaxFreqScaled);
        if (modes & ADJ_TICK) tick_us_ = tx.tick;
        if (modes & ADJ_MAXERROR) {
            maxerror_us_ = std::max(0L, tx.maxerror);
            maxerror_set_true_ns_ = true_ns_;
        }
        if (modes & ADJ_ESTERROR) esterror_us_ = std::max(0L, tx.esterror);
        fill(tx);
        tx.offset = 0;
    }
    return (status_ & STA_UNSYNC) ? TIME_ERROR : TIME_OK;
}

}  // namespace ntplite::sim
