// The local clock as the sync core sees it: a small driver interface shaped to map onto
// clock_adjtime(CLOCK_REALTIME), plus NullClock (observe mode: reads through an injected time
// source, adjusts nothing). The kernel driver is LinuxClock; the simulator's clock
// (tests/sim/kernel/) is LinuxClock on a model of the kernel's adjtimex.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "proto/packet.hpp"

namespace ntplite::clock {

/// Told about every change to the clock so holders of timestamps can re-base or drop them.
class ClockObserver {
  public:
    virtual ~ClockObserver() = default;
    /// The clock jumped by `offset_ns` at local time `at_ns` (positive = moved forward).
    virtual void on_clock_step(int64_t offset_ns, int64_t at_ns) = 0;
    /// The frequency correction changed from `old_ppm` to `new_ppm` at local time `at_ns`.
    virtual void on_frequency_change(double old_ppm, double new_ppm, int64_t at_ns) = 0;
};

/// Driver interface. Units and signs are fixed here for every implementation:
///  - times are Unix nanoseconds on the CLOCK_REALTIME scale;
///  - frequency corrections are in ppm, positive = the clock runs faster;
///  - offsets (slew, step) are in ns, positive = move the clock forward (it was behind).
class SystemClock {
  public:
    virtual ~SystemClock() = default;

    /// Current reading of the clock (Unix ns).
    virtual int64_t now_ns() const = 0;
    /// True if adjustments really change the clock (false for observe mode). The sync engine
    /// only re-bases its samples for corrections that were really applied.
    virtual bool adjusts() const = 0;
    /// Total frequency correction in ppm (positive = faster), replacing the previous one.
    virtual void adjust_frequency(double ppm) = 0;
    /// Current total frequency correction in ppm.
    virtual double frequency_ppm() const = 0;
    /// Move the clock by `offset_ns` gradually (positive = forward). Replaces any slew still
    /// pending, like ADJ_OFFSET_SINGLESHOT does. The slew does not change frequency_ppm().
    virtual void slew(int64_t offset_ns) = 0;
    /// Local time (Unix ns) at which on_slew_deadline() must be called because the slew rate
    /// has to change (a fast slew ends); nullopt = nothing to do. The daemon arms a timer for
    /// it; a late call costs (lateness x slew rate), which the driver re-slews.
    virtual std::optional<int64_t> slew_deadline_ns() const { return std::nullopt; }
    /// The slew deadline passed: end or re-plan the slew.
    virtual void on_slew_deadline() {}
    /// Part of the last slew not yet applied (ns, same sign convention).
    virtual int64_t pending_slew_ns() const = 0;
    /// Jump the clock by `offset_ns` at once (positive = forward). Cancels a pending slew.
    virtual void step(int64_t offset_ns) = 0;
    /// Leap second to announce (kNone, kInsertSecond or kDeleteSecond) for the end of the day.
    virtual void set_leap(proto::LeapIndicator leap) = 0;
    /// Error bounds for the kernel status (ns): maxerror >= esterror; `synced` clears UNSYNC.
    virtual void set_sync_status(int64_t maxerror_ns, int64_t esterror_ns, bool synced) = 0;

    /// Register an observer (not owned; must outlive the clock or be removed).
    void add_observer(ClockObserver* o) { observers_.push_back(o); }
    void remove_observer(ClockObserver* o) { std::erase(observers_, o); }

  protected:
    void notify_step(int64_t offset_ns, int64_t at_ns) {
        for (auto* o : observers_) o->on_clock_step(offset_ns, at_ns);
    }
    void notify_frequency(double old_ppm, double new_ppm, int64_t at_ns) {
        for (auto* o : observers_) o->on_frequency_change(old_ppm, new_ppm, at_ns);
    }

  private:
    std::vector<ClockObserver*> observers_;
};

/// Observe mode: reads time through an injected source, records what it was asked to do and
/// never adjusts anything.
class NullClock final : public SystemClock {
  public:
    /// `time_source` returns Unix ns (the daemon passes a CLOCK_REALTIME read; tests a fake).
    explicit NullClock(std::function<int64_t()> time_source)
        : time_source_(std::move(time_source)) {}

    int64_t now_ns() const override { return time_source_(); }
    bool adjusts() const override { return false; }
    void adjust_frequency(double ppm) override { requested_frequency_ppm_ = ppm; }
    double frequency_ppm() const override { return 0.0; }
    void slew(int64_t offset_ns) override { requested_slew_ns_ = offset_ns; }
    int64_t pending_slew_ns() const override { return 0; }
    void step(int64_t offset_ns) override { requested_step_ns_ = offset_ns; }
    void set_leap(proto::LeapIndicator leap) override { leap_ = leap; }
    void set_sync_status(int64_t maxerror_ns, int64_t esterror_ns, bool synced) override {
        maxerror_ns_ = maxerror_ns;
        esterror_ns_ = esterror_ns;
        synced_ = synced;
    }

    /// What the engine would have done (for reports in observe mode).
    double requested_frequency_ppm() const { return requested_frequency_ppm_; }
    int64_t requested_slew_ns() const { return requested_slew_ns_; }
    int64_t requested_step_ns() const { return requested_step_ns_; }
    bool synced() const { return synced_; }

  private:
    std::function<int64_t()> time_source_;
    double requested_frequency_ppm_ = 0.0;
    int64_t requested_slew_ns_ = 0;
    int64_t requested_step_ns_ = 0;
    proto::LeapIndicator leap_ = proto::LeapIndicator::kNone;
    int64_t maxerror_ns_ = 0;
    int64_t esterror_ns_ = 0;
    bool synced_ = false;
};

}  // namespace ntplite::clock
