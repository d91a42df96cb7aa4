// The Linux kernel clock driver: SystemClock on clock_adjtime(CLOCK_REALTIME, ...).
//
// How each correction reaches the kernel (decisions, with the reasons):
//  - frequency: the base correction, ADJ_FREQUENCY in ppm << 16, clamped to the kernel's
//    +-500 ppm. frequency_ppm() is always this base, never the slew on top.
//  - slew: an offset the kernel's adjtime (ADJ_OFFSET_SINGLESHOT, 500 ppm) removes within the
//    minimum slew duration (1 s: |offset| <= 500 us, every steady-state correction) goes there:
//    nothing to end on time, and the frequency register holds only the base correction. A
//    larger one is slewed by rate, like chrony's sys_linux: the kernel runs at base + slew
//    rate, the rate being |offset| / 1 s up to max_slew_rate_ppm (83,333 ppm by default,
//    chrony's maxslewrate), so 0.1 s is gone in 1.2 s and 10 s in 120 s, monotonically. A total
//    rate beyond +-500 ppm is split into ADJ_TICK (1 us of the 10,000 us tick = 100 ppm, the
//    kernel allows 9,000..11,000) and ADJ_FREQUENCY for the rest. The driver knows what it
//    slewed from its own clock reads (slewed = elapsed * s / (1 + s)) plus the kernel's adjtime
//    remainder, so pending_slew_ns() is exact; at slew_deadline_ns() the daemon calls
//    on_slew_deadline(), which ends the rate slew (or re-slews what a late call overshot).
//    Plain ADJ_OFFSET is never used: with STA_PLL it runs the kernel's PLL, which would fight
//    our own frequency estimate.
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

#include "clock/defaults.hpp"
#include "clock/os/drift_file.hpp"
#include "clock/system_clock.hpp"
#include "proto/packet.hpp"

namespace ntplite::clock {

/// Kernel frequency limit (ppm), both signs (MAXFREQ in kernel/time/ntp.c).
inline constexpr double kKernelMaxFrequencyPpm = 500.0;
/// Largest singleshot slew handed to the kernel in one call (ns), both signs.
inline constexpr int64_t kMaxSlewNs = 500'000'000;
/// The kernel's nominal tick (us per 1/USER_HZ s, USER_HZ = 100) and its allowed range (+-10 %).
inline constexpr long kNominalTickUs = 10'000;
inline constexpr long kMinTickUs = 9'000;
inline constexpr long kMaxTickUs = 11'000;
/// The kernel's adjtime (ADJ_OFFSET_SINGLESHOT) slew rate (ppm).
inline constexpr double kSingleshotRatePpm = 500.0;
/// Rate change of one microsecond of tick (ppm).
inline constexpr double kPpmPerTickUs = 100.0;

/// Slewing parameters of the driver.
struct SlewOptions {
    /// Largest slew rate (ppm), on top of the frequency correction (chrony's maxslewrate).
    double max_slew_rate_ppm = defaults::kMaxSlewRate_ppm;
    /// A slew lasts at least this long (ns): small corrections go at small rates, so the
    /// lateness of the end-of-slew timer costs (lateness x rate) = almost nothing.
    int64_t min_slew_duration_ns = 1'000'000'000;
};
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
/// ADJ_TICK | ADJ_FREQUENCY for a total rate correction of `ppm` (positive = faster): the
/// tick takes whole 100 ppm steps beyond +-500 ppm, the frequency the rest. Clamped to what
/// the kernel can do (tick 9,000..11,000 us, frequency +-500 ppm).
struct timex rate_request(double ppm);
/// The total rate (ppm) of a kernel tick (us) and freq (ppm << 16).
double rate_from_timex(long tick_us, long freq_scaled);
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
        AdjtimeFn adjtime = {}, RealtimeFn realtime = {}, SlewOptions slew = {});

    int64_t now_ns() const override { return realtime_(); }
    /// False once the kernel refused an adjustment (the driver is then inert).
    bool adjusts() const override { return !failed_; }
    void adjust_frequency(double ppm) override;
    double frequency_ppm() const override { return frequency_ppm_; }
    void slew(int64_t offset_ns) override;
    /// What is left of the last slew (from the driver's own account of the rate it set).
    int64_t pending_slew_ns() const override;
    std::optional<int64_t> slew_deadline_ns() const override;
    void on_slew_deadline() override;
    /// The slew rate set on top of the frequency (ppm, signed; 0 = not slewing).
    double slew_rate_ppm() const { return slew_rate_ppm_; }
    void step(int64_t offset_ns) override;
    void set_leap(proto::LeapIndicator leap) override;
    void set_sync_status(int64_t maxerror_ns, int64_t esterror_ns, bool synced) override;

    /// The first refusal, if any.
    const std::optional<ClockFailure>& failure() const { return failure_; }

  private:
    LinuxClock(FailureHandler on_failure, AdjtimeFn adjtime, RealtimeFn realtime, SlewOptions slew);
    /// Books the slew done since the last anchor (at local time `now_ns`).
    void account_slew(int64_t now_ns);
    /// Chooses the slew rate for what remains and hands base + rate to the kernel.
    void plan_slew(int64_t now_ns);
    /// Sets the kernel rate to `total_ppm`; false (and inert) if refused.
    bool set_rate(double total_ppm, const char* operation);
    /// Runs one adjustment; on failure records it, goes inert and tells the handler once.
    bool apply(struct timex& tx, const char* operation);
    /// Current kernel status bits (modes = 0 read); nullopt on error.
    std::optional<int> read_status() const;

    FailureHandler on_failure_;
    AdjtimeFn adjtime_;
    RealtimeFn realtime_;
    SlewOptions slew_opts_;
    double frequency_ppm_ = 0.0;  // base correction, as applied (kernel units)
    double slew_rate_ppm_ = 0.0;  // on top of the base, as applied
    double slew_left_ns_ = 0.0;   // still to slew at slew_anchor_ns_
    int64_t slew_anchor_ns_ = 0;  // local time of the last account_slew()
    std::optional<int64_t> slew_deadline_ns_;
    bool singleshot_pending_ = false;  // a small slew was handed to the kernel's adjtime
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
                                          AdjtimeFn adjtime = {}, RealtimeFn realtime = {},
                                          SlewOptions slew = {});

}  // namespace ntplite::clock
