// ntp-loadgen: open-loop NTP load generator for benchmarking servers on loopback only.
// Bounded: at most 20 s of sending per run, targets in 127.0.0.0/8 or ::1 only.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sysutil/clock_read.hpp"
#include "tools/loadgen/generator.hpp"
#include "tools/loadgen/nts_ke.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/report.hpp"
#include "tools/loadgen/wire.hpp"

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
    app.add_option("-t,--target", o.target_text,
                   "server as ADDR:PORT or [V6ADDR]:PORT (loopback); with --nts-ke, default: "
                   "the negotiated NTP server and port");
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
    app.add_option("--nts-ke", o.nts_ke_text,
                   "NTS mode: NTS-KE server ADDR:PORT (loopback); one key exchange, then NTS "
                   "requests (AES-SIV-CMAC-256)");
    app.add_option("--nts-ca", o.nts_ca, "NTS mode: PEM CA file for the server's certificate");
    app.add_option("--nts-name", o.nts_name,
                   "NTS mode: name checked in the certificate (default: the NTS-KE address)");
    app.add_option("--nts-placeholders", o.nts_placeholders,
                   "NTS mode: cookie placeholders per request (0..7)")
        ->capture_default_str();
    app.add_option("--nts-verify-every", o.nts_verify_every,
                   "NTS mode: verify the authenticator of every Nth reply (1 = all)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    o.ntp_version = static_cast<uint8_t>(version > 7 ? 0 : version);

    NtsKeResult ke;
    if (!o.nts_ke_text.empty()) {
        sockaddr_storage ke_addr{};
        socklen_t ke_len = 0;
        if (auto r = parse_loopback_target(o.nts_ke_text, ke_addr, ke_len); !r) {
            std::fprintf(stderr, "ntp-loadgen: --nts-ke: %s\n", r.error().c_str());
            return 2;
        }
        if (o.nts_ca.empty()) {
            std::fprintf(stderr, "ntp-loadgen: --nts-ke needs --nts-ca\n");
            return 2;
        }
        // The address part of ADDR:PORT / [V6]:PORT: the default certificate name and NTP host.
        std::string ke_host = o.nts_ke_text.substr(0, o.nts_ke_text.rfind(':'));
        if (ke_host.size() >= 2 && ke_host.front() == '[')
            ke_host = ke_host.substr(1, ke_host.size() - 2);
        if (o.nts_name.empty()) o.nts_name = ke_host;
        auto r = nts_key_exchange(ke_addr, ke_len, o.nts_ca, o.nts_name);
        if (!r) {
            std::fprintf(stderr, "ntp-loadgen: NTS-KE with %s failed: %s\n", o.nts_ke_text.c_str(),
                         r.error().c_str());
            return 1;
        }
        ke = std::move(*r);
        o.nts = &ke.creds;
        if (o.target_text.empty()) {
            // RFC 8915 4.1.7/4.1.8: the negotiated server and port, else the NTS-KE host and 123.
            std::string host = ke.ntp_server.empty() ? ke_host : ke.ntp_server;
            if (host.find(':') != std::string::npos) host = "[" + host + "]";
            o.target_text = host + ":" + std::to_string(ke.port.value_or(123));
        }
    }
    if (o.target_text.empty()) {
        std::fprintf(stderr, "ntp-loadgen: --target (or --nts-ke) is required\n");
        return 2;
    }
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
    RunInfo info{cpu_seconds_of_process() - cpu0, wall_seconds() - wall0, kNtpHeaderBytes,
                 ke.elapsed_ms};
    if (o.nts) {
        // Every thread's codec has the same layout; one more here gives its size.
        std::array<std::byte, kNtsUidSaltBytes> salt{};
        info.request_bytes = NtsRequestCodec(ke.creds, o.nts_placeholders, salt).request_size();
    }

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
