#include "tests/sim/kernel/simulated_clock.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace ntplite::sim {

SimulatedClock::SimulatedClock(const SimulatedClockParams& p, int64_t true_start_ns)
    : model_(std::make_unique<KernelClockModel>(
          KernelClockParams{p.initial_offset_ns, p.frequency_error_ppm, p.wander_ppm_per_s, p.seed},
          true_start_ns)),
      forwarder_(std::make_unique<Forwarder>()) {
    KernelClockModel* m = model_.get();
    auto opened = clock::LinuxClock::open(
        p.initial_frequency_ppm, {}, [m](struct timex& tx) { return m->adjtimex(tx); },
        [m] { return m->now_ns(); }, p.slew);
    if (!opened) std::abort();  // the model never refuses a valid request
    driver_ = std::move(*opened);
    forwarder_->owner = this;
    driver_->add_observer(forwarder_.get());
}

SimulatedClock::SimulatedClock(SimulatedClock&& o) noexcept
    : model_(std::move(o.model_)),
      driver_(std::move(o.driver_)),
      forwarder_(std::move(o.forwarder_)) {
    forwarder_->owner = this;
}

SimulatedClock& SimulatedClock::operator=(SimulatedClock&& o) noexcept {
    model_ = std::move(o.model_);
    driver_ = std::move(o.driver_);
    forwarder_ = std::move(o.forwarder_);
    forwarder_->owner = this;
    return *this;
}

SimulatedClock::~SimulatedClock() = default;

void SimulatedClock::advance_to(int64_t true_ns) {
    while (auto d = driver_->slew_deadline_ns()) {
        int64_t at = std::max(model_->true_now_ns() + 1, model_->true_at(*d));
        if (at > true_ns) break;
        model_->advance_to(at);
        driver_->on_slew_deadline();
    }
    model_->advance_to(true_ns);
}

}  // namespace ntplite::sim
