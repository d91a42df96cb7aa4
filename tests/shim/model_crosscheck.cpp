// Cross-check of the simulator's kernel clock model (tests/sim/kernel/kernel_clock_model.*)
// against the LD_PRELOAD shim's emulated kernel: the same clock_adjtime requests, built by the
// LinuxClock translation functions (frequency, tick + frequency for fast slews, singleshot,
// step), go to both at the same real CLOCK_MONOTONIC times (the shim's time base, and the
// model's "true" time here); after each one the emulated CLOCK_REALTIME must equal the model's
// reading. So the simulator and the shim cannot drift apart without this test failing.
//
// Run only under the shim with CAP_SYS_TIME dropped (tests/shim/CMakeLists.txt does); it refuses
// otherwise. Exit 0 = the trajectories agree.
#include <dlfcn.h>
#include <sys/timex.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "clock/os/linux_clock.hpp"
#include "tests/sim/kernel/kernel_clock_model.hpp"

namespace {

using namespace ntplite;
constexpr int64_t kNsPerS = 1'000'000'000;

int64_t read_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return int64_t{ts.tv_sec} * kNsPerS + ts.tv_nsec;
}

bool cap_sys_time_effective() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        unsigned long long eff = 0;
        if (std::sscanf(line.c_str(), "CapEff: %llx", &eff) == 1) return ((eff >> 25) & 1) != 0;
    }
    return true;
}

struct Op {
    const char* what;
    struct timex tx;
    int sleep_ms;  // before the next one
};

}  // namespace

int main() {
    if (cap_sys_time_effective() || dlsym(RTLD_DEFAULT, "ntplite_clock_shim_version") == nullptr) {
        std::fprintf(stderr, "FAIL: run under the clock shim with CAP_SYS_TIME dropped\n");
        return 1;
    }
    const char* f = std::getenv("NTPLITE_SHIM_FREQ_PPM");
    double freq_error_ppm = f ? std::strtod(f, nullptr) : 0.0;

    // The model starts where the shim is: same reading at the same monotonic time.
    int64_t m0 = read_ns(CLOCK_MONOTONIC);
    int64_t e0 = read_ns(CLOCK_REALTIME);
    sim::KernelClockModel model(sim::KernelClockParams{e0 - m0, freq_error_ppm, 0.0, 1}, m0);

    std::vector<Op> ops = {
        {"frequency -37.5 ppm", clock::frequency_request(-37.5), 150},
        {"fast slew rate +83333 ppm (tick+freq)", clock::rate_request(83'333.333 - 37.5), 150},
        {"fast slew rate -83333 ppm (tick+freq)", clock::rate_request(-83'333.333 - 37.5), 100},
        {"base rate again", clock::rate_request(-37.5), 50},
        {"singleshot +40 ms", clock::slew_request(40'000'000), 100},
        {"singleshot replaced by -10 ms", clock::slew_request(-10'000'000), 100},
        {"singleshot read", clock::slew_read_request(), 50},
        {"step -1.5 s", clock::step_request(-1'500'000'000), 50},
        {"frequency clamp (+900 ppm)", clock::frequency_request(900.0), 100},
        {"tick at the limit (+9,500 ppm)", clock::rate_request(99'999.0), 100},
        {"step +2.25 s", clock::step_request(2'250'000'000), 50},
    };
    int failures = 0;
    double worst_ns = 0.0;
    for (Op& op : ops) {
        struct timex shim_tx = op.tx;
        struct timex model_tx = op.tx;
        int64_t before = read_ns(CLOCK_MONOTONIC);
        int shim_rc = clock_adjtime(CLOCK_REALTIME, &shim_tx);
        int64_t after = read_ns(CLOCK_MONOTONIC);
        // The shim applied it somewhere in [before, after]; the model at the midpoint.
        model.advance_to(before + (after - before) / 2);
        int model_rc = model.adjtimex(model_tx);
        if ((shim_rc < 0) != (model_rc < 0) || shim_tx.offset != model_tx.offset ||
            shim_tx.freq != model_tx.freq || shim_tx.tick != model_tx.tick) {
            std::fprintf(stderr,
                         "FAIL %s: shim rc %d offset %ld freq %ld tick %ld; model rc %d offset %ld "
                         "freq %ld tick %ld\n",
                         op.what, shim_rc, shim_tx.offset, shim_tx.freq, shim_tx.tick, model_rc,
                         model_tx.offset, model_tx.freq, model_tx.tick);
            ++failures;
        }
        // Compare the trajectories at several points until the next request.
        for (int k = 0; k < 4; ++k) {
            std::this_thread::sleep_for(std::chrono::milliseconds(op.sleep_ms / 4));
            int64_t m1 = read_ns(CLOCK_MONOTONIC);
            int64_t emul = read_ns(CLOCK_REALTIME);
            int64_t m2 = read_ns(CLOCK_MONOTONIC);
            model.advance_to(m1 + (m2 - m1) / 2);
            double diff = static_cast<double>(emul - model.now_ns());
            // Allowed: the rate change times the uncertainty of when each side applied it, the
            // read window, and 1 us of rounding.
            double rate = std::abs(model.rate_ppm()) * 1e-6 + 5e-4 + 1.0;
            double tol = 1'000.0 + rate * static_cast<double>((after - before) + (m2 - m1));
            worst_ns = std::max(worst_ns, std::abs(diff));
            if (std::abs(diff) > tol) {
                std::fprintf(stderr, "FAIL after %s: shim %lld, model %lld (diff %.0f ns > %.0f)\n",
                             op.what, static_cast<long long>(emul),
                             static_cast<long long>(model.now_ns()), diff, tol);
                ++failures;
            }
        }
    }
    std::printf("%zu requests, worst |shim - model| %.0f ns, %d failure(s)\n", ops.size(), worst_ns,
                failures);
    return failures == 0 ? 0 : 1;
}
