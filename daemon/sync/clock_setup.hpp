// What ntpd-lite does to the system clock around the sync core: picks the SystemClock for
// [clock] mode, and carries the kernel-facing duties the pure core does not own.
//
//  - observe (or --no-clock): a NullClock reading CLOCK_REALTIME; nothing below happens.
//  - discipline (the default): clock::open_discipline_clock() loads the drift file and proves by
//    trying (not by inspecting capabilities) that the kernel lets us adjust; on EPERM one line
//    is logged and the daemon runs in observe mode. The drift-file frequency seeds SyncEngine.
//  - drift file: saved on DriftSaveSchedule (every [clock] drift_save_interval, if it moved) and
//    at exit, once the discipline has learned something (kMinUpdatesForDrift updates).
//  - leap seconds and the kernel's sync status are NOT here: the core (clock::SyncEngine) decides
//    both and writes them through the SystemClock interface.
//  - the driver going inert (the kernel refused a later adjustment): the failure is logged once
//    and drift saves stop; the daemon keeps measuring and serving like observe mode.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "clock/engine.hpp"
#include "clock/os/drift_file.hpp"
#include "clock/os/linux_clock.hpp"
#include "clock/system_clock.hpp"
#include "clock/time.hpp"
#include "config/config.hpp"

namespace ntplite::daemon {

class ClockSetup {
  public:
    /// Updates the discipline must have made before its frequency is worth saving.
    static constexpr int kMinUpdatesForDrift = 8;
    /// A periodic save needs the frequency to have moved by at least this (ppm).
    static constexpr double kDriftSaveMinChange_ppm = 0.01;

    /// Opens the clock for `cfg` and logs one line saying what was chosen. `adjtime`/`realtime`
    /// replace the kernel calls (tests); empty = the real ones. `have_sources` false (no
    /// [[source]]): nothing to discipline from, so the kernel clock is not opened at all.
    explicit ClockSetup(const config::ClockConfig& cfg, clock::AdjtimeFn adjtime = {},
                        clock::RealtimeFn realtime = {}, bool have_sources = true);
    ClockSetup(const ClockSetup&) = delete;
    ClockSetup& operator=(const ClockSetup&) = delete;

    /// The clock the core drives (lives as long as this object).
    clock::SystemClock& clock() { return *clock_; }
    const clock::SystemClock& clock() const { return *clock_; }
    /// Frequency correction (ppm, positive = faster) for SyncEngine's constructor: the drift
    /// file's (or the kernel's current one) in discipline mode, 0 in observe mode.
    double initial_frequency_ppm() const { return initial_frequency_ppm_; }
    /// True while the kernel clock is disciplined: false in observe mode, after EPERM at start,
    /// and once the driver went inert.
    bool disciplining() const { return kernel_ && clock_->adjusts(); }

    /// Call after every core update and about once a second: saves the drift file when due.
    void update(const clock::SyncEngine& engine, clock::MonoTime now);
    /// At exit: saves the drift file (if disciplining and learned). Idempotent.
    void shutdown(const clock::SyncEngine& engine, clock::MonoTime now);

  private:
    void save_drift(int64_t mono_ns, bool at_exit);

    std::unique_ptr<clock::SystemClock> clock_;
    bool kernel_ = false;  ///< clock_ is the kernel driver (LinuxClock)
    double initial_frequency_ppm_ = 0.0;
    std::string drift_path_;
    clock::DriftSaveSchedule drift_schedule_;
    bool drift_schedule_started_ = false;  ///< the first interval counts from the first update()
    bool drift_warned_ = false;            ///< a failed save is logged once, then at debug
    bool shut_down_ = false;
};

}  // namespace ntplite::daemon
