#include "daemon/sync/clock_setup.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <vector>

#include "daemon/server/server_worker.hpp"

namespace ntplite::daemon {

namespace {

int64_t seconds_to_ns(double s) {
    return static_cast<int64_t>(s * 1e9);
}

}  // namespace

ClockSetup::ClockSetup(const config::ClockConfig& cfg, clock::AdjtimeFn adjtime,
                       clock::RealtimeFn realtime, bool have_sources)
    : drift_schedule_(seconds_to_ns(cfg.drift_save_interval_s), kDriftSaveMinChange_ppm) {
    clock::RealtimeFn read_time = realtime ? realtime : clock::RealtimeFn(realtime_ns);
    if (cfg.mode == config::ClockMode::kObserve) {
        clock_ = std::make_unique<clock::NullClock>(read_time);
        spdlog::info("clock: observe mode, measuring only (the system clock is never adjusted)");
        return;
    }
    if (!have_sources) {
        clock_ = std::make_unique<clock::NullClock>(read_time);
        spdlog::info("clock: no [[source]]: the system clock is not disciplined");
        return;
    }
    auto opened = clock::open_discipline_clock(
        cfg.drift_file,
        [](const clock::ClockFailure& f) {
            // The driver is inert from here on; update() stops every other kernel write.
            spdlog::error(
                "clock: the kernel refused a {} adjustment ({}, errno {} {}): no longer adjusting "
                "the clock, continuing in observe mode",
                f.operation, clock::to_string(f.error), f.errno_value,
                std::strerror(f.errno_value));
        },
        std::move(adjtime), read_time);
    if (opened.drift_error && *opened.drift_error != clock::DriftError::kMissing) {
        spdlog::warn("clock: ignoring drift file {}: {}", cfg.drift_file,
                     clock::to_string(*opened.drift_error));
    }
    clock_ = std::move(opened.clock);
    if (opened.refused) {
        // Exactly one line: no CAP_SYS_TIME (or a simulator denying) is a normal deployment.
        spdlog::warn(
            "clock: the kernel refused to let us adjust the clock ({}, errno {}): running in "
            "observe mode (measuring only)",
            clock::to_string(opened.refused->error), opened.refused->errno_value);
        initial_frequency_ppm_ = 0.0;  // the observe-mode core estimates against the free clock
        return;
    }
    kernel_ = true;
    drift_path_ = cfg.drift_file;
    initial_frequency_ppm_ = opened.initial_frequency_ppm;
    spdlog::info("clock: disciplining the system clock (initial frequency {:+.3f} ppm{})",
                 initial_frequency_ppm_,
                 drift_path_.empty()  ? ", no drift file"
                 : opened.drift_error ? ", kernel value: no usable drift file"
                                      : ", from the drift file");
}

void ClockSetup::update(const clock::SyncEngine& engine, clock::MonoTime now) {
    if (!kernel_ || shut_down_) return;
    if (!clock_->adjusts()) return;  // inert: the failure handler already said why
    const int64_t mono_ns = now.ns;
    if (!drift_schedule_started_) {
        // The first periodic save comes one interval after start, not with the first rough
        // estimates: a crash then leaves the previous (or no) file, never a worse one.
        drift_schedule_.saved(mono_ns, clock_->frequency_ppm());
        drift_schedule_started_ = true;
    }
    if (engine.updates() >= kMinUpdatesForDrift && !drift_path_.empty() &&
        drift_schedule_.due(mono_ns, clock_->frequency_ppm())) {
        save_drift(mono_ns, false);
    }
}

void ClockSetup::shutdown(const clock::SyncEngine& engine, clock::MonoTime now) {
    if (shut_down_) return;
    if (kernel_ && clock_->adjusts() && !drift_path_.empty() &&
        engine.updates() >= kMinUpdatesForDrift)
        save_drift(now.ns, true);
    shut_down_ = true;
}

void ClockSetup::save_drift(int64_t mono_ns, bool at_exit) {
    const double ppm = clock_->frequency_ppm();
    auto ok = clock::save_drift_file(drift_path_, ppm);
    if (ok) {
        drift_schedule_.saved(mono_ns, ppm);
        spdlog::log(at_exit ? spdlog::level::info : spdlog::level::debug,
                    "clock: drift file {} saved: {:+.6f} ppm", drift_path_, ppm);
        drift_warned_ = false;
        return;
    }
    // Retry at the next interval, not at every update; one warning per failure streak.
    drift_schedule_.saved(mono_ns, ppm);
    spdlog::log(drift_warned_ ? spdlog::level::debug : spdlog::level::warn,
                "clock: cannot save the drift file {}: {}: {}", drift_path_, ok.error().step,
                std::strerror(ok.error().errno_value));
    drift_warned_ = true;
}

}  // namespace ntplite::daemon
