// ntp-loadgen: open-loop NTP load generator for benchmarking servers on loopback only.
// Bounded: at most 20 s of sending per run, targets in 127.0.0.0/8 or ::1 only.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sysutil/clock_read.hpp"
#include "tools/loadgen/generator.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/report.hpp"

using namespace ntplite::tools::loadgen;

namespace {

double cpu_seconds_of_process() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return tv(ru.ru_utime) + tv(ru.ru_stime);
}

double wall_seconds() {
    return static_cast<double>(ntplite::sysutil::monotonic_ns()) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"ntp-loadgen: open-loop NTP (mode 3) load generator, loopback targets only"};
    app.add_option("-t,--target", o.target_text, "server as ADDR:PORT or [V6ADDR]:PORT (loopback)")
        ->required();
    app.add_option("-d,--duration", o.duration_s, "sending phase in seconds (max 20)")
        ->capture_default_str();
    app.add_option("-r,--rate", o.rate_per_s, "offered requests/s over all threads; 0 = max")
        ->capture_default_str();
    app.add_option("-s,--sockets", o.sockets, "connected UDP sockets (distinct source ports)")
        ->capture_default_str();
    app.add_option("-b,--batch", o.batch, "datagrams per sendmmsg/recvmmsg")->capture_default_str();
    app.add_option("--threads", o.threads, "generator threads")->capture_default_str();
    app.add_option("--cpu", o.cpus, "pin generator thread i to the i-th CPU listed (e.g. --cpu 1)")
        ->delimiter(',');
    app.add_option("--drain-ms", o.drain_ms, "wait this long for late replies after sending")
        ->capture_default_str();
    unsigned version = 4;
    app.add_option("--ntp-version", version, "NTP version of the requests (1..4)")
        ->capture_default_str();
    app.add_option("--source-addrs", o.source_addrs,
                   "IPv4: spread sockets over source addresses 127.0.0.1..127.0.0.N")
        ->capture_default_str();
    app.add_option("--spoof-sources", o.spoof_sources,
                   "IPv4: send from N source addresses 127.1.0.0+i via IP_PKTINFO (network "
                   "namespace with only loopback up)")
        ->capture_default_str();
    app.add_option("--window", o.window,
                   "max unanswered requests in flight per thread (0 = pure open loop)")
        ->capture_default_str();
    app.add_option("--timeout-ms", o.timeout_ms,
                   "with --window: stop counting an unanswered request after this")
        ->capture_default_str();
    app.add_flag("--gso", o.gso, "send each batch as one UDP GSO write (cheaper generator)");
    app.add_flag("--json", o.json, "print one JSON object instead of text");
    CLI11_PARSE(app, argc, argv);
    o.ntp_version = static_cast<uint8_t>(version > 7 ? 0 : version);

    if (auto r = parse_loopback_target(o.target_text, o.target, o.target_len); !r) {
        std::fprintf(stderr, "ntp-loadgen: %s\n", r.error().c_str());
        return 2;
    }
    if (auto r = validate(o); !r) {
        std::fprintf(stderr, "ntp-loadgen: %s\n", r.error().c_str());
        return 2;
    }

    if (o.spoof_sources > 0 && !only_loopback_interfaces_up()) {
        // The sockets listen on the wildcard address: only where nothing but loopback exists.
        std::fprintf(stderr,
                     "ntp-loadgen: --spoof-sources needs a network namespace where only loopback "
                     "is up (unshare -n)\n");
        return 2;
    }

    std::random_device rd;
    const uint32_t nonce24 =
        (rd() & 0xFFFFFFu) | 1u;  // never 0: keeps transmit timestamps non-zero

    std::vector<ThreadStats> stats(o.threads);
    std::vector<std::string> errors(o.threads);
    std::vector<std::thread> threads;
    const double cpu0 = cpu_seconds_of_process();
    const double wall0 = wall_seconds();
    unsigned first_socket = 0;
    for (unsigned i = 0; i < o.threads; ++i) {
        unsigned count = o.sockets / o.threads + (i < o.sockets % o.threads ? 1 : 0);
        threads.emplace_back([&, i, first_socket, count] {
            errors[i] = run_generator_thread(o, i, first_socket, count, o.rate_per_s / o.threads,
                                             nonce24, stats[i]);
        });
        first_socket += count;
    }
    for (auto& t : threads) t.join();
    RunInfo info{cpu_seconds_of_process() - cpu0, wall_seconds() - wall0};

    for (unsigned i = 0; i < o.threads; ++i) {
        if (!errors[i].empty()) {
            std::fprintf(stderr, "ntp-loadgen: thread %u: %s\n", i, errors[i].c_str());
            return 1;
        }
    }
    ThreadStats total;
    for (const auto& s : stats) total.add(s);
    if (o.json)
        print_json(stdout, o, total, info);
    else
        print_text(stdout, o, total, info);
    // A run with no valid answer is a failed run (server down, wrong port, all replies bad).
    if (total.valid == 0) {
        std::fprintf(stderr, "ntp-loadgen: no valid response from %s\n", o.target_text.c_str());
        return 3;
    }
    return 0;
}
