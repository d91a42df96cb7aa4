// The simulator's clock: the real LinuxClock driver (clock/os/linux_clock.*) on KernelClockModel,
// so every choice the driver makes (tick + frequency slewing, clamps, steps, status) is
// simulated rather than bypassed. Tests advance true time and read the truth from the model.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "clock/os/linux_clock.hpp"
#include "clock/system_clock.hpp"
#include "tests/sim/kernel/kernel_clock_model.hpp"

namespace ntplite::sim {

/// Parameters of a SimulatedClock: the hardware, and the driver's options.
struct SimulatedClockParams {
    int64_t initial_offset_ns = 0;     ///< local - true at true time 0 (positive = clock ahead)
    double frequency_error_ppm = 0.0;  ///< intrinsic rate error (positive = clock runs fast)
    double wander_ppm_per_s = 0.0;     ///< random-walk step of the rate error, per second (sd)
    uint64_t seed = 1;                 ///< wander RNG seed
    clock::SlewOptions slew{};         ///< the driver's slew options (shipped defaults)
    /// Frequency the driver opens with (a drift file); nullopt = the kernel's (0).
    std::optional<double> initial_frequency_ppm{};
};

class SimulatedClock final : public clock::SystemClock {
  public:
    explicit SimulatedClock(const SimulatedClockParams& p = {}, int64_t true_start_ns = 0);
    SimulatedClock(SimulatedClock&& o) noexcept;
    SimulatedClock& operator=(SimulatedClock&& o) noexcept;
    ~SimulatedClock() override;

    /// Advance true time to `true_ns` (never backwards), calling on_slew_deadline() at each
    /// slew deadline on the way, at the exact time, as the daemon's timer does.
    void advance_to(int64_t true_ns);
    int64_t true_now_ns() const { return model_->true_now_ns(); }
    /// Local reading minus true time (ns), positive = clock ahead.
    double offset_from_true_ns() const { return model_->offset_from_true_ns(); }
    /// Frequency error of the corrected clock (ppm): intrinsic + the driver's base correction
    /// (the slew on top is not an error).
    double residual_frequency_ppm() const {
        return model_->intrinsic_ppm() + driver_->frequency_ppm();
    }
    int64_t local_at(int64_t true_ns) const { return model_->local_at(true_ns); }
    int64_t true_at(int64_t local_ns) const { return model_->true_at(local_ns); }
    int steps() const { return model_->steps(); }
    bool synced() const { return (model_->status() & STA_UNSYNC) == 0; }
    KernelClockModel& model() { return *model_; }
    const KernelClockModel& model() const { return *model_; }
    const clock::LinuxClock& driver() const { return *driver_; }

    int64_t now_ns() const override { return driver_->now_ns(); }
    bool adjusts() const override { return driver_->adjusts(); }
    void adjust_frequency(double ppm) override { driver_->adjust_frequency(ppm); }
    double frequency_ppm() const override { return driver_->frequency_ppm(); }
    void slew(int64_t offset_ns) override { driver_->slew(offset_ns); }
    int64_t pending_slew_ns() const override { return driver_->pending_slew_ns(); }
    std::optional<int64_t> slew_deadline_ns() const override { return driver_->slew_deadline_ns(); }
    void on_slew_deadline() override { driver_->on_slew_deadline(); }
    void step(int64_t offset_ns) override { driver_->step(offset_ns); }
    void set_leap(proto::LeapIndicator leap) override { driver_->set_leap(leap); }
    void set_sync_status(int64_t maxerror_ns, int64_t esterror_ns, bool synced) override {
        driver_->set_sync_status(maxerror_ns, esterror_ns, synced);
    }

  private:
    // Passes the driver's notifications on to this clock's observers.
    class Forwarder final : public clock::ClockObserver {
      public:
        SimulatedClock* owner = nullptr;
        void on_clock_step(int64_t offset_ns, int64_t at_ns) override {
            owner->notify_step(offset_ns, at_ns);
        }
        void on_frequency_change(double old_ppm, double new_ppm, int64_t at_ns) override {
            owner->notify_frequency(old_ppm, new_ppm, at_ns);
        }
    };

    std::unique_ptr<KernelClockModel> model_;
    std::unique_ptr<clock::LinuxClock> driver_;
    std::unique_ptr<Forwarder> forwarder_;
};

}  // namespace ntplite::sim
