#include "tools/ntpq/waitsync_command.hpp"

#include <fmt/format.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "tools/ntpq/daemon_format.hpp"
#include "tools/ntpq/daemon_query.hpp"
#include "tools/ntpq/host_port.hpp"

namespace ntplite::tools {

WaitCheck judge(const DaemonReport& r, const WaitsyncOptions& o) {
    WaitCheck c;
    c.answered = true;
    c.state = sync_state_of(r);
    c.offset_ms = r.system.offset_ms;
    const bool synced = c.state == "synchronized";
    const bool within =
        o.max_offset_s < 0 || (c.offset_ms && std::fabs(*c.offset_ms) <= o.max_offset_s * 1e3);
    c.done = synced && within;
    c.line = state_sentence(r);
    if (c.offset_ms) c.line += fmt::format(", offset {:+.3f} ms", *c.offset_ms);
    if (synced && !within) c.line += fmt::format(" (above --max-offset {:g} s)", o.max_offset_s);
    return c;
}

ExitCode run_waitsync_loop(const WaitsyncOptions& o, const std::function<WaitCheck()>& check,
                           const std::function<double()>& now_s,
                           const std::function<void(double)>& sleep_s, std::ostream& out,
                           std::ostream& err) {
    const double start = now_s();
    int tries = 0;
    WaitCheck last;
    bool ever_answered = false;
    for (;;) {
        ++tries;
        last = check();
        ever_answered = ever_answered || last.answered;
        if (!o.daemon.json) out << fmt::format("try {}: {}\n", tries, last.line) << std::flush;
        if (last.done) break;
        const double elapsed = now_s() - start;
        if (o.timeout_s > 0 && elapsed + o.interval_s > o.timeout_s) break;
        sleep_s(o.interval_s);
    }
    const ExitCode code = last.done       ? ExitCode::kOk
                          : ever_answered ? ExitCode::kWaitTimeout
                                          : ExitCode::kDaemonUnreachable;
    if (o.daemon.json) {
        nlohmann::ordered_json j;
        j["schema"] = kWaitsyncJsonSchema;
        j["host"] = o.daemon.host;
        j["synchronized"] = last.done;
        j["state"] = last.state.empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(last.state);
        j["offset_ms"] = last.offset_ms ? nlohmann::ordered_json(*last.offset_ms)
                                        : nlohmann::ordered_json(nullptr);
        j["tries"] = tries;
        j["elapsed_s"] = now_s() - start;
        j["exit_code"] = static_cast<int>(code);
        if (code == ExitCode::kOk) {
            j["error"] = nullptr;
        } else {
            j["error"] = {
                {"code", code == ExitCode::kWaitTimeout ? "timeout" : "daemon_unreachable"},
                {"message", last.line}};
        }
        out << j.dump(2) << "\n";
    }
    if (code != ExitCode::kOk) {
        err << fmt::format("ntpq-lite: waitsync: not synchronized after {:.0f} s ({} tries): {}\n",
                           now_s() - start, tries, last.line);
    }
    return code;
}

ExitCode run_waitsync(const WaitsyncOptions& o, std::ostream& out, std::ostream& err) {
    auto hp = parse_host_port(o.daemon.host, o.daemon.port);
    if (!hp) {
        err << "ntpq-lite: bad --host '" << o.daemon.host << "': " << hp.error() << "\n";
        return ExitCode::kUsage;
    }
    const std::string label = to_string(*hp);
    const auto request_timeout =
        std::chrono::nanoseconds(static_cast<int64_t>(std::min(1.0, o.interval_s) * 1e9));
    auto check = [&]() -> WaitCheck {
        auto transport = UdpMode6Transport::open(*hp, request_timeout);
        if (!transport) return WaitCheck{false, false, "", transport.error().message, {}};
        Mode6Client client(**transport, request_timeout, label);
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        const int64_t now_ns = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
        auto report = fetch_daemon(client, FetchScope{false, true}, now_ns);
        if (!report) return WaitCheck{false, false, "", report.error().message, {}};
        return judge(*report, o);
    };
    auto now_s = [] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    };
    auto sleep_s = [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); };
    return run_waitsync_loop(o, check, now_s, sleep_s, out, err);
}

}  // namespace ntplite::tools
