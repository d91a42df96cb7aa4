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

LinuxClock::LinuxClock(FailureHandler on_failure, AdjtimeFn adjtime, RealtimeFn realtime)
    : on_failure_(std::move(on_failure)),
      adjtime_(adjtime ? std::move(adjtime) : AdjtimeFn(kernel_adjtime)),
      realtime_(realtime ? std::move(realtime) : RealtimeFn(kernel_realtime_ns)) {}

std::expected<std::unique_ptr<LinuxClock>, ClockFailure> LinuxClock::open(
    std::optional<double> initial_frequency_ppm, FailureHandler on_failure, AdjtimeFn adjtime,
    RealtimeFn realtime) {
    std::unique_ptr<LinuxClock> c(
        new LinuxClock(std::move(on_failure), std::move(adjtime), std::move(realtime)));
    struct timex read = zero_timex();
    if (c->adjtime_(read) < 0) {
        int e = errno;
        return std::unexpected(ClockFailure{classify_errno(e), e, "read"});
    }
    double ppm = initial_frequency_ppm.value_or(frequency_from_timex(read.freq));
    // The probe: a real adjustment (a no-op when re-setting the current frequency).
    struct timex tx = frequency_request(ppm);
    if (c->adjtime_(tx) < 0) {
        int e = errno;
        return std::unexpected(ClockFailure{classify_errno(e), e, "frequency"});
    }
    c->frequency_ppm_ = frequency_from_timex(tx.freq);
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

void LinuxClock::adjust_frequency(double ppm) {
    struct timex tx = frequency_request(ppm);
    double applied = frequency_from_timex(tx.freq);
    if (!apply(tx, "frequency")) return;
    double old = frequency_ppm_;
    frequency_ppm_ = applied;
    if (old != applied) notify_frequency(old, applied, now_ns());
}

void LinuxClock::slew(int64_t offset_ns) {
    struct timex tx = slew_request(offset_ns);
    apply(tx, "slew");
}

int64_t LinuxClock::pending_slew_ns() const {
    if (failed_) return 0;
    struct timex tx = slew_read_request();
    if (adjtime_(tx) < 0) return 0;
    return static_cast<int64_t>(tx.offset) * kNsPerUs;
}

void LinuxClock::step(int64_t offset_ns) {
    struct timex tx = step_request(offset_ns);
    if (!apply(tx, "step")) return;
    // The kernel keeps an adjtime remainder across ADJ_SETOFFSET; the contract says a step
    // cancels the pending slew, so cancel it explicitly.
    struct timex cancel = slew_request(0);
    apply(cancel, "slew");
    notify_step(offset_ns, now_ns());
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
                                          RealtimeFn realtime) {
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
    auto opened = LinuxClock::open(drift_ppm, std::move(on_failure), std::move(adjtime), read_time);
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
