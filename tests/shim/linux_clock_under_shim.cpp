// The real LinuxClock driver (clock/linux_clock.*), unmodified and calling clock_adjtime for
// real, run against the emulated kernel clock of the LD_PRELOAD shim:
//
//   linux_clock_under_shim emulated  under the shim: every correction lands on the emulated
//                                    clock as the kernel would apply it; the real clock is still
//   linux_clock_under_shim denied    under the shim with NTPLITE_SHIM_DENY=1: open() reports
//                                    kPermissionDenied (the daemon's observe-mode fallback)
//   linux_clock_under_shim no-shim   without the shim, CAP_SYS_TIME dropped: the real kernel
//                                    refuses, open() reports kPermissionDenied
//
// Safety: refuses to run while CAP_SYS_TIME is effective, and "emulated"/"denied" refuse unless
// the shim is loaded. The no-shim probe only re-applies the kernel's current frequency.
#include <dlfcn.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

#include "clock/os/linux_clock.hpp"

namespace {

using namespace ntplite::clock;
constexpr int64_t kNsPerS = 1'000'000'000;
int g_failures = 0;

#define CHECK(cond, ...)                                                         \
    do {                                                                         \
        if (!(cond)) {                                                           \
            std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            std::fprintf(stderr, __VA_ARGS__);                                   \
            std::fputc('\n', stderr);                                            \
            ++g_failures;                                                        \
        }                                                                        \
    } while (0)

int64_t ts_ns(const timespec& ts) {
    return int64_t{ts.tv_sec} * kNsPerS + ts.tv_nsec;
}

// The real CLOCK_REALTIME: the shim passes raw clock_gettime system calls through.
int64_t real_realtime_ns() {
    timespec ts{};
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
    return ts_ns(ts);
}

int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts_ns(ts);
}

// Real realtime minus monotonic from the tightest of many reads: moves only if the real clock
// is stepped or slewed.
int64_t real_fingerprint_ns() {
    int64_t best_width = INT64_MAX, best = 0;
    for (int i = 0; i < 200; ++i) {
        int64_t m1 = monotonic_ns();
        int64_t r = real_realtime_ns();
        int64_t m2 = monotonic_ns();
        if (m2 - m1 < best_width) {
            best_width = m2 - m1;
            best = r - (m1 + (m2 - m1) / 2);
        }
    }
    return best;
}

bool has_cap_sys_time() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        unsigned long long eff = 0;
        if (std::sscanf(line.c_str(), "CapEff: %llx", &eff) == 1) return ((eff >> 25) & 1) != 0;
    }
    return true;  // unknown: assume the worst
}

bool shim_loaded() {
    return dlsym(RTLD_DEFAULT, "ntplite_clock_shim_version") != nullptr;
}

int64_t env_i64(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::strtoll(v, nullptr, 10) : 0;
}

double state_value(const char* key) {
    const char* path = std::getenv("NTPLITE_SHIM_STATE");
    std::ifstream f(path ? path : "");
    std::string line;
    std::string prefix = std::string(key) + "=";
    while (std::getline(f, line)) {
        if (line.rfind(prefix, 0) == 0) return std::strtod(line.c_str() + prefix.size(), nullptr);
    }
    return std::nan("");
}

struct StepCounter : ClockObserver {
    int steps = 0;
    int64_t last_step_ns = 0;
    void on_clock_step(int64_t offset_ns, int64_t) override {
        ++steps;
        last_step_ns = offset_ns;
    }
    void on_frequency_change(double, double, int64_t) override {}
};

int run_emulated() {
    const int64_t tol_ns = 20'000'000;
    int64_t start_offset_ns = env_i64("NTPLITE_SHIM_OFFSET_NS");
    double freq_error_ppm = static_cast<double>(env_i64("NTPLITE_SHIM_FREQ_PPM"));
    int64_t fingerprint = real_fingerprint_ns();

    auto opened = LinuxClock::open(std::nullopt);
    if (!opened) {
        std::fprintf(stderr, "FAIL: open: %s (errno %d)\n", to_string(opened.error().error),
                     opened.error().errno_value);
        return 1;
    }
    LinuxClock& c = **opened;
    StepCounter obs;
    c.add_observer(&obs);
    CHECK(c.adjusts(), "driver must adjust under the shim");
    CHECK(c.frequency_ppm() == 0.0, "initial frequency %f", c.frequency_ppm());

    int64_t off = c.now_ns() - real_realtime_ns();
    CHECK(std::llabs(off - start_offset_ns) < tol_ns, "start offset %" PRId64, off);

    // Step the start offset away.
    c.step(-start_offset_ns);
    off = c.now_ns() - real_realtime_ns();
    CHECK(std::llabs(off) < tol_ns, "offset after step %" PRId64, off);
    CHECK(obs.steps == 1 && obs.last_step_ns == -start_offset_ns, "observer saw %d steps",
          obs.steps);

    // Compensate the frequency error: the emulated clock's net rate error becomes zero.
    c.adjust_frequency(-freq_error_ppm);
    CHECK(state_value("net_freq_ppm") == 0.0, "net_freq_ppm %f", state_value("net_freq_ppm"));
    CHECK(state_value("freq_ppm") == -freq_error_ppm, "freq_ppm %f", state_value("freq_ppm"));

    // Slew by rate (tick + frequency): 2 ms goes at 2,000 ppm for 1 s (the minimum duration),
    // the remainder is the driver's exact account, the deadline ends it, a step cancels it.
    int64_t off_before = c.now_ns() - real_realtime_ns();
    // A loaded machine may take milliseconds between two calls: allow the slew done meanwhile.
    int64_t t_before = monotonic_ns();
    c.slew(2'000'000);
    int64_t pending = c.pending_slew_ns();
    int64_t done_max = (monotonic_ns() - t_before) * 2'100 / 1'000'000 + 1'000;  // ~2,000 ppm
    CHECK(pending >= 2'000'000 - done_max && pending <= 2'000'000,
          "pending right after slew %" PRId64, pending);
    // 2,000 ppm on top of the base: 20 us of tick (2,000 ppm), the base in the frequency.
    CHECK(state_value("tick_us") == 10'020 && state_value("freq_ppm") == -freq_error_ppm,
          "2,000 ppm slew: tick %f freq %f", state_value("tick_us"), state_value("freq_ppm"));
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    pending = c.pending_slew_ns();
    double expected = 2e6 - static_cast<double>(monotonic_ns() - t_before) * 2e-3;
    CHECK(pending > 0 && std::abs(static_cast<double>(pending) - expected) < 30'000,
          "pending after 0.4 s %" PRId64 ", expected %.0f", pending, expected);
    int64_t slewed = (c.now_ns() - real_realtime_ns()) - off_before;
    CHECK(std::llabs(slewed + pending - 2'000'000) < 300'000,
          "slewed %" PRId64 " + pending %" PRId64, slewed, pending);
    CHECK(c.slew_deadline_ns().has_value(), "a slew has a deadline");
    const int64_t deadline_ns = c.slew_deadline_ns().value_or(0);
    int64_t wait_ns = deadline_ns - c.now_ns();
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::max<int64_t>(wait_ns, 0)));
    // A loaded machine wakes the thread late: the rate slew overshoots by the lateness x 2,000
    // ppm, which the driver then owes back (its pending remainder). Allow exactly that.
    const int64_t late_ns = std::max<int64_t>(c.now_ns() - deadline_ns, 0);
    c.on_slew_deadline();
    slewed = (c.now_ns() - real_realtime_ns()) - off_before;
    CHECK(std::llabs(slewed - 2'000'000) < 300'000, "slew done: slewed %" PRId64, slewed);
    const int64_t owed_max_ns = 20'000 + late_ns * 2'100 / 1'000'000;
    CHECK(std::llabs(c.pending_slew_ns()) < owed_max_ns,
          "pending after the deadline %" PRId64 " (called %" PRId64 " ns late)",
          c.pending_slew_ns(), late_ns);
    t_before = monotonic_ns();
    c.slew(-3'000'000'000);  // fast: 83,333 ppm, the tick takes the bulk
    pending = c.pending_slew_ns();
    done_max = (monotonic_ns() - t_before) * 84'000 / 1'000'000 + 1'000;
    CHECK(pending <= -3'000'000'000 + done_max && pending >= -3'000'000'000, "large slew %" PRId64,
          pending);
    CHECK(state_value("tick_us") == 10'000 + std::lround((-83'333.333 - freq_error_ppm) / 100.0),
          "tick during a fast slew %f", state_value("tick_us"));
    c.step(1'000'000);
    CHECK(c.pending_slew_ns() == 0, "a step cancels the slew: %" PRId64, c.pending_slew_ns());
    CHECK(state_value("tick_us") == 10'000 && !c.slew_deadline_ns(), "tick after the step %f",
          state_value("tick_us"));

    // Kernel status as adjtimex readers (timedatectl) see it.
    c.set_sync_status(1'000'000, 100'000, true);
    struct timex tx {};
    int state = adjtimex(&tx);
    CHECK(state == TIME_OK, "clock state %d", state);
    CHECK(!(tx.status & STA_UNSYNC), "STA_UNSYNC still set: 0x%x", tx.status);
    CHECK(tx.maxerror >= 1000 && tx.maxerror < 1100 && tx.esterror == 100, "errors %ld %ld",
          tx.maxerror, tx.esterror);
    c.set_leap(ntplite::proto::LeapIndicator::kInsertSecond);
    tx = {};
    CHECK(adjtimex(&tx) == TIME_INS && (tx.status & STA_INS), "leap insert armed: 0x%x", tx.status);
    c.set_leap(ntplite::proto::LeapIndicator::kNone);
    c.set_sync_status(0, 0, false);
    tx = {};
    state = adjtimex(&tx);
    CHECK(state == TIME_ERROR && (tx.status & STA_UNSYNC) && !(tx.status & STA_INS),
          "unsynced: state %d status 0x%x", state, tx.status);
    CHECK(c.adjusts() && !c.failure().has_value(), "no failure expected");

    int64_t moved = real_fingerprint_ns() - fingerprint;
    CHECK(std::llabs(moved) < 5'000'000, "REAL clock moved by %" PRId64 " ns", moved);
    return g_failures == 0 ? 0 : 1;
}

int run_refused() {
    auto opened = LinuxClock::open(std::nullopt);
    CHECK(!opened.has_value(), "open must fail");
    if (!opened) {
        CHECK(opened.error().error == ClockError::kPermissionDenied, "error %s",
              to_string(opened.error().error));
        CHECK(opened.error().errno_value == EPERM, "errno %d", opened.error().errno_value);
    }
    return g_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s emulated|denied|no-shim\n", argv[0]);
        return 2;
    }
    if (has_cap_sys_time()) {
        std::fprintf(
            stderr,
            "FAIL: CAP_SYS_TIME is effective; run under setpriv --bounding-set=-sys_time\n");
        return 1;
    }
    std::string mode = argv[1];
    bool needs_shim = mode == "emulated" || mode == "denied";
    if (needs_shim != shim_loaded()) {
        std::fprintf(stderr, "FAIL: mode %s needs the shim %s\n", mode.c_str(),
                     needs_shim ? "loaded" : "absent");
        return 1;
    }
    int rc = mode == "emulated" ? run_emulated() : run_refused();
    std::printf("%s: LinuxClock %s\n", rc == 0 ? "ok" : "FAILED", mode.c_str());
    return rc;
}
