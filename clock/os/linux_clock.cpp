#include "clock/os/linux_clock.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>

#include <algorithm>

namespace ntplite::clock {

namespace {

constexpr int64_t kNsPerS = 1'000'000'000;
constexpr int64_t kNsPerUs = 1'000;
constexpr long kPpmScale = 1L << 16;  // timex.freq unit: 2^-16 ppm
constexpr long kMaxFrequencyScaled = 500L << 16;
// Bits this daemon owns exclusively: other disciplines' switches, cleared on every status write.
constexpr int kForeignDisciplineBits = STA_PLL | STA_FLL | STA_PPSFREQ | STA_PPSTIME | STA_FREQHOLD;
// Read-only bits: the kernel ignores them on write; leave them out to keep requests clean.
constexpr int kReadOnlyBits = STA_RONLY;

struct timex zero_timex() {
    struct timex tx;
    std::memset(&tx, 0, sizeof tx);
    return tx;
}

int status_base(int current_status) {
    return current_status & ~(kForeignDisciplineBits | kReadOnlyBits);
}

int kernel_adjtime(struct timex& tx) {
    return ::clock_adjtime(CLOCK_REALTIME, &tx);
}

int64_t kernel_realtime_ns() {
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * kNsPerS + ts.tv_nsec;
}

// ns -> us for error bounds: rounded up (an error bound must not shrink), clamped to 0..16 s.
long error_us(int64_t ns) {
    if (ns <= 0) return 0;
    int64_t us = ns / kNsPerUs + (ns % kNsPerUs != 0 ? 1 : 0);
    return static_cast<long>(std::min<int64_t>(us, kKernelUnknownErrorUs));
}

}  // namespace

const char* to_string(ClockError e) {
    switch (e) {
        case ClockError::kPermissionDenied:
            return "permission denied (no CAP_SYS_TIME)";
        case ClockError::kInvalidArgument:
            return "invalid argument";
        case ClockError::kOther:
            return "system error";
    }
    return "?";
}

struct timex frequency_request(double ppm) {
    struct timex tx = zero_timex();
    tx.modes = ADJ_FREQUENCY;
    if (std::isnan(ppm)) ppm = 0.0;  // never hand the kernel garbage; the caller logs NaN upstream
    double scaled = std::clamp(ppm, -kKernelMaxFrequencyPpm, kKernelMaxFrequencyPpm) * kPpmScale;
    tx.freq = std::clamp(std::lround(scaled), -kMaxFrequencyScaled, kMaxFrequencyScaled);
    return tx;
}

double frequency_from_timex(long freq_scaled) {
    return static_cast<double>(freq_scaled) / kPpmScale;
}

struct timex rate_request(double ppm) {
    struct timex tx = zero_timex();
    tx.modes = ADJ_TICK | ADJ_FREQUENCY;
    if (std::isnan(ppm)) ppm = 0.0;
    constexpr double kMaxRatePpm =
        (kMaxTickUs - kNominalTickUs) * kPpmPerTickUs + kKernelMaxFrequencyPpm;
    ppm = std::clamp(ppm, -kMaxRatePpm, kMaxRatePpm);
    // Within the frequency range the tick stays nominal (no tick write needed by a reader);
    // beyond it, whole ticks take the bulk and the frequency the remainder (|rest| <= 50 ppm).
    long tick = kNominalTickUs;
    if (std::abs(ppm) > kKernelMaxFrequencyPpm)
        tick =
            std::clamp(kNominalTickUs + std::lround(ppm / kPpmPerTickUs), kMinTickUs, kMaxTickUs);
    tx.tick = tick;
    double rest = ppm - static_cast<double>(tick - kNominalTickUs) * kPpmPerTickUs;
    tx.freq = frequency_request(rest).freq;
    return tx;
}

double rate_from_timex(long tick_us, long freq_scaled) {
    return static_cast<double>(tick_us - kNominalTickUs) * kPpmPerTickUs +
           frequency_from_timex(freq_scaled);
}

struct timex slew_request(int64_t offset_ns) {
    struct timex tx = zero_timex();
    tx.modes = ADJ_OFFSET_SINGLESHOT;
    int64_t clamped = std::clamp(offset_ns, -kMaxSlewNs, kMaxSlewNs);
    // Round to the nearest microsecond, ties away from zero.
    int64_t us = (clamped >= 0 ? clamped + kNsPerUs / 2 : clamped - kNsPerUs / 2) / kNsPerUs;
    tx.offset = static_cast<long>(us);
    return tx;
}

struct timex slew_read_request() {
    struct timex tx = zero_timex();
    tx.modes = ADJ_OFFSET_SS_READ;
    return tx;
}

struct timex step_request(int64_t offset_ns) {
    struct timex tx = zero_timex();
    tx.modes = ADJ_SETOFFSET | ADJ_NANO;
    int64_t sec = offset_ns / kNsPerS;
    int64_t frac_ns = offset_ns % kNsPerS;
    if (frac_ns < 0) {
        frac_ns += kNsPerS;
        sec -= 1;
    }
    tx.time.tv_sec = static_cast<time_t>(sec);
    tx.time.tv_usec = static_cast<suseconds_t>(frac_ns);  // nanoseconds with ADJ_NANO
    return tx;
}

struct timex leap_request(int current_status, proto::LeapIndicator leap) {
    struct timex tx = zero_timex();
    tx.modes = ADJ_STATUS;
    int status = status_base(current_status) & ~(STA_INS | STA_DEL);
    if (leap == proto::LeapIndicator::kInsertSecond) status |= STA_INS;
    if (leap == proto::LeapIndicator::kDeleteSecond) status |= STA_DEL;
    tx.status = status;
    return tx;
}

struct timex sync_status_request(int current_status, int64_t maxerror_ns, int64_t esterror_ns,
                                 bool synced) {
    struct timex tx = zero_timex();
    tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
    int status = status_base(current_status);
    if (synced) {
        tx.status = status & ~STA_UNSYNC;
        tx.maxerror = error_us(maxerror_ns);
        tx.esterror = std::min(error_us(esterror_ns), tx.maxerror);
    } else {
        tx.status = status | STA_UNSYNC;
        tx.maxerror = kKernelUnknownErrorUs;
        tx.esterror = kKernelUnknownErrorUs;
    }
    return tx;
}

ClockError classify_errno(int errno_value) {
    switch (errno_value) {
        case EPERM:
            return ClockError::kPermissionDenied;
        case EINVAL:
            return ClockError::kInvalidArgument;
        default:
            return ClockError::kOther;
    }
}

// ---- LinuxClock -------------------------------------------------------------------------------

LinuxClock::LinuxClock(FailureHandler on_failure, AdjtimeFn adjtime, RealtimeFn realtime,
                       SlewOptions slew)
    : on_failure_(std::move(on_failure)),
      adjtime_(adjtime ? std::move(adjtime) : AdjtimeFn(kernel_adjtime)),
      realtime_(realtime ? std::move(realtime) : RealtimeFn(kernel_realtime_ns)),
      slew_opts_(slew) {
    slew_opts_.max_slew_rate_ppm = std::clamp(slew_opts_.max_slew_rate_ppm, 1.0, 99'000.0);
    slew_opts_.min_slew_duration_ns = std::max<int64_t>(slew_opts_.min_slew_duration_ns, 1'000'000);
}

std::expected<std::unique_ptr<LinuxClock>, ClockFailure> LinuxClock::open(
    std::optional<double> initial_frequency_ppm, FailureHandler on_failure, AdjtimeFn adjtime,
    RealtimeFn realtime, SlewOptions slew) {
    std::unique_ptr<LinuxClock> c(
        new LinuxClock(std::move(on_failure), std::move(adjtime), std::move(realtime), slew));
    struct timex read = zero_timex();
    if (c->adjtime_(read) < 0) {
        int e = errno;
        return std::unexpected(ClockFailure{classify_errno(e), e, "read"});
    }
    double ppm = initial_frequency_ppm.value_or(frequency_from_timex(read.freq));
    // The probe: a real adjustment (a no-op when re-setting the current frequency). It also
    // puts the tick back to nominal, ending a fast slew a previous instance left running.
    ppm = frequency_from_timex(frequency_request(ppm).freq);
    struct timex tx = rate_request(ppm);
    if (c->adjtime_(tx) < 0) {
        int e = errno;
        return std::unexpected(ClockFailure{classify_errno(e), e, "frequency"});
    }
    c->frequency_ppm_ = ppm;
    c->slew_anchor_ns_ = c->realtime_();
    return c;
}

bool LinuxClock::apply(struct timex& tx, const char* operation) {
    if (failed_) return false;
    if (adjtime_(tx) >= 0) return true;
    int e = errno;
    failed_ = true;
    failure_ = ClockFailure{classify_errno(e), e, operation};
    if (on_failure_) on_failure_(*failure_);
    return false;
}

std::optional<int> LinuxClock::read_status() const {
    struct timex tx = zero_timex();
    if (adjtime_(tx) < 0) return std::nullopt;
    return tx.status;
}

bool LinuxClock::set_rate(double total_ppm, const char* operation) {
    struct timex tx = rate_request(total_ppm);
    return apply(tx, operation);
}

void LinuxClock::account_slew(int64_t now_ns) {
    // While slewing at s (fraction) the clock runs (1 + s) times as fast as it would without
    // the slew, so of `elapsed` local ns, elapsed * s / (1 + s) were slew.
    if (slew_rate_ppm_ != 0.0) {
        double s = slew_rate_ppm_ * 1e-6;
        double elapsed = static_cast<double>(std::max<int64_t>(0, now_ns - slew_anchor_ns_));
        slew_left_ns_ -= elapsed * s / (1.0 + s);
    }
    slew_anchor_ns_ = now_ns;
}

void LinuxClock::plan_slew(int64_t now_ns) {
    constexpr double kDoneNs = 1.0;  // below 1 ns there is nothing worth slewing
    double rate_ppm = 0.0;
    slew_deadline_ns_.reset();
    if (std::abs(slew_left_ns_) >= kDoneNs) {
        // ns per s = ppm * 1e3: the rate that takes min_slew_duration, up to the maximum.
        double min_duration_s = static_cast<double>(slew_opts_.min_slew_duration_ns) * 1e-9;
        rate_ppm =
            std::min(slew_opts_.max_slew_rate_ppm, std::abs(slew_left_ns_) / min_duration_s * 1e-3);
        rate_ppm = std::copysign(rate_ppm, slew_left_ns_);
    } else {
        slew_left_ns_ = 0.0;
    }
    slew_anchor_ns_ = now_ns;
    if (rate_ppm == 0.0 && slew_rate_ppm_ == 0.0) return;  // nothing changes in the kernel
    if (!set_rate(frequency_ppm_ + rate_ppm, "slew")) return;
    // What the kernel really got (tick and 2^-16 ppm units), so the account stays exact.
    struct timex tx = rate_request(frequency_ppm_ + rate_ppm);
    slew_rate_ppm_ = rate_ppm == 0.0 ? 0.0 : rate_from_timex(tx.tick, tx.freq) - frequency_ppm_;
    if (slew_rate_ppm_ != 0.0) {
        double s = slew_rate_ppm_ * 1e-6;
        double duration_ns = std::abs(slew_left_ns_) * (1.0 + s) / std::abs(s);
        slew_deadline_ns_ = now_ns + static_cast<int64_t>(std::ceil(duration_ns));
    }
}

void LinuxClock::adjust_frequency(double ppm) {
    if (failed_) return;
    int64_t now = now_ns();
    account_slew(now);
    double applied = frequency_from_timex(frequency_request(ppm).freq);
    double old = frequency_ppm_;
    if (!set_rate(applied + slew_rate_ppm_, "frequency")) return;
    frequency_ppm_ = applied;
    if (old != applied) notify_frequency(old, applied, now);
}

void LinuxClock::slew(int64_t offset_ns) {
    if (failed_) return;
    int64_t now = now_ns();
    account_slew(now);
    // What the kernel's own adjtime (500 ppm) finishes within the minimum slew duration goes
    // there: no deadline to keep, and the frequency register keeps only the base correction.
    // Anything larger is slewed by rate, up to max_slew_rate_ppm. Either replaces what was
    // pending, in both mechanisms.
    double singleshot_limit_ns =
        kSingleshotRatePpm * 1e-6 * static_cast<double>(slew_opts_.min_slew_duration_ns);
    bool small = std::abs(static_cast<double>(offset_ns)) <= singleshot_limit_ns;
    slew_left_ns_ = small ? 0.0 : static_cast<double>(offset_ns);
    plan_slew(now);
    if (small || singleshot_pending_) {
        struct timex tx = slew_request(small ? offset_ns : 0);
        if (apply(tx, "slew")) singleshot_pending_ = small && offset_ns != 0;
    }
}

int64_t LinuxClock::pending_slew_ns() const {
    if (failed_) return 0;
    double left = slew_left_ns_;
    if (slew_rate_ppm_ != 0.0) {
        double s = slew_rate_ppm_ * 1e-6;
        double elapsed = static_cast<double>(std::max<int64_t>(0, now_ns() - slew_anchor_ns_));
        left -= elapsed * s / (1.0 + s);
    }
    int64_t kernel_ns = 0;
    if (singleshot_pending_) {
        struct timex tx = slew_read_request();
        if (adjtime_(tx) >= 0) kernel_ns = static_cast<int64_t>(tx.offset) * kNsPerUs;
    }
    return std::llround(left) + kernel_ns;
}

std::optional<int64_t> LinuxClock::slew_deadline_ns() const {
    if (failed_) return std::nullopt;
    return slew_deadline_ns_;
}

void LinuxClock::on_slew_deadline() {
    if (failed_) return;
    account_slew(now_ns());
    // Ends the rate slew; what a late call overshot (or rounding left) is slewed again, by
    // the kernel's adjtime when small.
    slew(std::llround(slew_left_ns_));
}

void LinuxClock::step(int64_t offset_ns) {
    if (failed_) return;
    int64_t before = now_ns();
    account_slew(before);
    struct timex tx = step_request(offset_ns);
    if (!apply(tx, "step")) return;
    // A step cancels the slew (the SystemClock contract): back to the base rate, and cancel a
    // kernel adjtime remainder too (the kernel keeps it across ADJ_SETOFFSET).
    slew_left_ns_ = 0.0;
    int64_t after = now_ns();
    plan_slew(after);
    struct timex cancel = slew_request(0);
    apply(cancel, "slew");
    singleshot_pending_ = false;
    notify_step(offset_ns, after);
}

void LinuxClock::set_leap(proto::LeapIndicator leap) {
    if (failed_) return;
    // If the status cannot be read, assume unsynchronized rather than claim sync by accident.
    std::optional<int> status = read_status();
    struct timex tx = leap_request(status.value_or(STA_UNSYNC), leap);
    apply(tx, "leap");
}

void LinuxClock::set_sync_status(int64_t maxerror_ns, int64_t esterror_ns, bool synced) {
    if (failed_) return;
    std::optional<int> status = read_status();
    struct timex tx = sync_status_request(status.value_or(0), maxerror_ns, esterror_ns, synced);
    apply(tx, "status");
}

DisciplineClockOpen open_discipline_clock(const std::string& drift_path,
                                          LinuxClock::FailureHandler on_failure, AdjtimeFn adjtime,
                                          RealtimeFn realtime, SlewOptions slew) {
    DisciplineClockOpen r;
    std::optional<double> drift_ppm;
    if (!drift_path.empty()) {
        auto loaded = load_drift_file(drift_path);
        if (loaded) {
            drift_ppm = *loaded;
        } else {
            r.drift_error = loaded.error();
        }
    }
    RealtimeFn read_time = realtime ? realtime : RealtimeFn(kernel_realtime_ns);
    auto opened =
        LinuxClock::open(drift_ppm, std::move(on_failure), std::move(adjtime), read_time, slew);
    if (opened) {
        r.initial_frequency_ppm = (*opened)->frequency_ppm();
        r.clock = std::move(*opened);
    } else {
        r.refused = opened.error();
        r.initial_frequency_ppm = drift_ppm.value_or(0.0);
        r.clock = std::make_unique<NullClock>(read_time);
    }
    return r;
}

}  // namespace ntplite::clock
