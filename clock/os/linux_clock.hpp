// The Linux kernel clock driver: SystemClock on clock_adjtime(CLOCK_REALTIME, ...).
//
// How each correction reaches the kernel (decisions, with the reasons):
//  - frequency: ADJ_FREQUENCY in ppm << 16, clamped to the kernel's +-500 ppm.
//  - slew: ADJ_OFFSET_SINGLESHOT (the kernel's adjtime): a fixed 500 ppm slew that replaces the
//    remainder of the previous one, exactly the SystemClock::slew contract and what
//    SimulatedClock models. We never use plain ADJ_OFFSET: with STA_PLL it runs the kernel's
//    PLL, which would fight our own frequency estimate, and without STA_PLL the kernel ignores it.
//    A slew is clamped to +-0.5 s per call (kMaxSlewNs, the kernel's ADJ_OFFSET bound). At
//    500 ppm a 0.5 s slew takes 1000 s, longer than a poll interval of up to 2^9 s, so the clamp
//    never slows the correction: the offset is re-measured and re-slewed at the next update.
//    Anything larger that must be corrected quickly is the discipline's to step.
//  - step: ADJ_SETOFFSET | ADJ_NANO (the kernel adds the offset atomically).
//  - leap: STA_INS / STA_DEL through ADJ_STATUS. The kernel acts on them at the next UTC
//    midnight, so clock/leap.hpp decides when to set them (last day of June/December only).
//  - sync status: ADJ_STATUS clears STA_UNSYNC and ADJ_MAXERROR/ADJ_ESTERROR (us) are kept
//    current while synchronized, so adjtimex readers (timedatectl, systemd-time-wait-sync) see
//    it; on loss of sync STA_UNSYNC is set and both errors go to the kernel's 16 s "unknown".
//    Our status writes also clear STA_PLL/STA_FLL/STA_PPS*/STA_FREQHOLD: this daemon is the only
//    discipline of the clock, and a kernel PLL left on by another daemon must not interfere.
//
// Permission: whether we may adjust is decided by trying (open() re-applies a frequency), never
// by inspecting capabilities, so the daemon behaves the same under an LD_PRELOAD clock
// simulator. EPERM is reported as ClockError::kPermissionDenied; the daemon then logs one line
// and runs with a NullClock (observe mode). If the kernel refuses later, the driver turns inert
// (adjusts() becomes false) and reports the failure once through the failure handler.
//
// The translation from requests to `struct timex` fields is pure (the *_request functions
// below), so unit tests cover it without calling the kernel; the syscall itself is injectable.
#pragma once

#include <sys/timex.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "clock/os/drift_file.hpp"
#include "clock/system_clock.hpp"
#include "proto/packet.hpp"

namespace ntplite::clock {

/// Kernel frequency limit (ppm), both signs (MAXFREQ in kernel/time/ntp.c).
inline constexpr double kKernelMaxFrequencyPpm = 500.0;
/// Largest slew handed to the kernel in one call (ns), both signs.
inline constexpr int64_t kMaxSlewNs = 500'000'000;
/// The kernel's "error unknown" value for maxerror/esterror (us): NTP_PHASE_LIMIT, 16 s.
inline constexpr long kKernelUnknownErrorUs = 16'000'000;

/// Why an adjustment of the kernel clock failed.
enum class ClockError : uint8_t {
    kPermissionDenied,  ///< EPERM: no CAP_SYS_TIME (or a simulator denying) -> observe mode
    kInvalidArgument,   ///< EINVAL: the kernel (or a simulator) refused the request
    kOther,             ///< any other errno
};
const char* to_string(ClockError e);

/// One failed kernel call, for a log line.
struct ClockFailure {
    ClockError error = ClockError::kOther;
    int errno_value = 0;         ///< errno as returned by the call
    const char* operation = "";  ///< "frequency", "slew", "step", "leap", "status", "read"
};

/// The kernel call: clock_adjtime(CLOCK_REALTIME, &tx). Returns the clock state (TIME_*) or -1
/// with errno set. Injectable so tests can run the driver against a fake kernel.
using AdjtimeFn = std::function<int(struct timex&)>;
/// Reads CLOCK_REALTIME (Unix ns).
using RealtimeFn = std::function<int64_t()>;

// ---- Pure translation: requests -> struct timex (no IO) -------------------------------------

/// ADJ_FREQUENCY for a total correction of `ppm` (positive = faster), clamped to +-500 ppm and
/// rounded to the kernel's 2^-16 ppm unit.
struct timex frequency_request(double ppm);
/// The ppm value of a kernel `timex.freq` (ppm << 16).
double frequency_from_timex(long freq_scaled);
/// ADJ_OFFSET_SINGLESHOT slewing `offset_ns` (positive = forward), rounded to the kernel's us
/// and clamped to +-kMaxSlewNs.
struct timex slew_request(int64_t offset_ns);
/// ADJ_OFFSET_SS_READ: reads the remaining singleshot slew (returned in timex.offset, us).
struct timex slew_read_request();
/// ADJ_SETOFFSET | ADJ_NANO stepping by `offset_ns` (positive = forward); the kernel wants a
/// normalised time with 0 <= tv_usec (ns here) < 1e9, so -1.5 s is {-2 s, 0.5e9 ns}.
struct timex step_request(int64_t offset_ns);
/// ADJ_STATUS announcing `leap` to the kernel (kNone or kUnsynchronized clear both bits),
/// keeping the caller's other status bits from `current_status`.
struct timex leap_request(int current_status, proto::LeapIndicator leap);
/// ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR. Synced: STA_UNSYNC cleared, the errors in us
/// (rounded up, clamped to 0..16 s). Not synced: STA_UNSYNC set, both errors 16 s. Leap bits of
/// `current_status` are kept; PLL/FLL/PPS/FREQHOLD bits cleared.
struct timex sync_status_request(int current_status, int64_t maxerror_ns, int64_t esterror_ns,
                                 bool synced);
/// Maps an errno from clock_adjtime to ClockError.
ClockError classify_errno(int errno_value);

// ---- The driver ------------------------------------------------------------------------------

class LinuxClock final : public SystemClock {
  public:
    /// Called once, on the first refused adjustment after open() (the daemon logs it).
    using FailureHandler = std::function<void(const ClockFailure&)>;

    /// Opens the kernel clock and proves we may adjust it by re-applying a frequency:
    /// `initial_frequency_ppm` (e.g. from the drift file) or, if absent, the kernel's current
    /// one (a no-op). kPermissionDenied means: run in observe mode.
    static std::expected<std::unique_ptr<LinuxClock>, ClockFailure> open(
        std::optional<double> initial_frequency_ppm, FailureHandler on_failure = {},
        AdjtimeFn adjtime = {}, RealtimeFn realtime = {});

    int64_t now_ns() const override { return realtime_(); }
    /// False once the kernel refused an adjustment (the driver is then inert).
    bool adjusts() const override { return !failed_; }
    void adjust_frequency(double ppm) override;
    double frequency_ppm() const override { return frequency_ppm_; }
    void slew(int64_t offset_ns) override;
    /// Reads the kernel's remainder (ADJ_OFFSET_SS_READ); 0 when inert or on error.
    int64_t pending_slew_ns() const override;
    void step(int64_t offset_ns) override;
    void set_leap(proto::LeapIndicator leap) override;
    void set_sync_status(int64_t maxerror_ns, int64_t esterror_ns, bool synced) override;

    /// The first refusal, if any.
    const std::optional<ClockFailure>& failure() const { return failure_; }

  private:
    LinuxClock(FailureHandler on_failure, AdjtimeFn adjtime, RealtimeFn realtime);
    /// Runs one adjustment; on failure records it, goes inert and tells the handler once.
    bool apply(struct timex& tx, const char* operation);
    /// Current kernel status bits (modes = 0 read); nullopt on error.
    std::optional<int> read_status() const;

    FailureHandler on_failure_;
    AdjtimeFn adjtime_;
    RealtimeFn realtime_;
    double frequency_ppm_ = 0.0;
    bool failed_ = false;
    std::optional<ClockFailure> failure_;
};

/// What open_discipline_clock() did; the daemon logs one line per set field.
struct DisciplineClockOpen {
    std::unique_ptr<SystemClock> clock;  ///< LinuxClock, or a NullClock in observe mode
    double initial_frequency_ppm = 0.0;  ///< for SyncEngine (drift file or kernel value)
    std::optional<DriftError>
        drift_error;  ///< why the drift file was not used (warn unless kMissing)
    std::optional<ClockFailure> refused;  ///< the kernel refused: running in observe mode
};

/// The daemon's start-up in discipline mode, in one call: load the drift file at `drift_path`
/// (empty = none), open the kernel clock with its frequency, and fall back to a NullClock
/// reading `realtime` (observe mode) if the kernel refuses. Never fails.
DisciplineClockOpen open_discipline_clock(const std::string& drift_path,
                                          LinuxClock::FailureHandler on_failure = {},
                                          AdjtimeFn adjtime = {}, RealtimeFn realtime = {});

}  // namespace ntplite::clock
