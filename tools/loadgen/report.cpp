#include "tools/loadgen/report.hpp"

namespace ntplite::tools::loadgen {
namespace {

double per_s(uint64_t count, double seconds) {
    return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

double pct(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

double us(uint64_t ns) {
    return static_cast<double>(ns) / 1000.0;
}

// Requests that got neither an answer nor a KoD (answers arriving after the drain count here).
uint64_t lost(const ThreadStats& t) {
    uint64_t answered = t.valid + t.kod + t.nts_naks;
    return t.sent > answered ? t.sent - answered : 0;
}

// Share of the sending phase the generator waited with nothing to do (summed over threads).
double idle_pct(const ThreadStats& t) {
    return t.send_phase_s > 0 ? 100.0 * t.idle_s / t.send_phase_s : 0.0;
}

}  // namespace

void print_text(std::FILE* out, const Options& o, const ThreadStats& t, const RunInfo& info) {
    const double s = t.send_phase_s;
    std::fprintf(out, "target            %s (%u sockets, %u thread(s), batch %u)\n",
                 o.target_text.c_str(), o.sockets, o.threads, o.batch);
    if (o.rate_per_s > 0)
        std::fprintf(out, "offered           %.0f req/s for %.2f s\n", o.rate_per_s, s);
    else if (o.window > 0)
        std::fprintf(out,
                     "offered           max rate, at most %u in flight per thread, for %.2f s\n",
                     o.window, s);
    else
        std::fprintf(out, "offered           max rate (open loop) for %.2f s\n", s);
    std::fprintf(out,
                 "sent              %llu (%.0f/s), not taken by the kernel %llu, errors %llu\n",
                 static_cast<unsigned long long>(t.sent), per_s(t.sent, s),
                 static_cast<unsigned long long>(t.send_blocked),
                 static_cast<unsigned long long>(t.send_errors));
    std::fprintf(out, "responses         %llu valid = %.0f/s\n",
                 static_cast<unsigned long long>(t.valid), per_s(t.valid, s));
    std::fprintf(out, "lost              %llu (%.3f %%)\n",
                 static_cast<unsigned long long>(lost(t)), pct(lost(t), t.sent));
    std::fprintf(
        out,
        "other replies     kod %llu, invalid %llu (short %llu, long %llu, mode %llu, "
        "version %llu, origin %llu), duplicate %llu, late %llu\n",
        static_cast<unsigned long long>(t.kod), static_cast<unsigned long long>(t.invalid()),
        static_cast<unsigned long long>(t.invalid_short),
        static_cast<unsigned long long>(t.invalid_long),
        static_cast<unsigned long long>(t.invalid_mode),
        static_cast<unsigned long long>(t.invalid_version),
        static_cast<unsigned long long>(t.invalid_origin),
        static_cast<unsigned long long>(t.duplicates), static_cast<unsigned long long>(t.late));
    if (o.nts)
        std::fprintf(out,
                     "nts               %zu-byte requests, key exchange %.1f ms; NAK %llu, "
                     "invalid unique id %llu, malformed %llu, bad authenticator %llu; "
                     "authenticators verified %llu (every %u)\n",
                     info.request_bytes, info.nts_ke_ms,
                     static_cast<unsigned long long>(t.nts_naks),
                     static_cast<unsigned long long>(t.invalid_nts_uid),
                     static_cast<unsigned long long>(t.invalid_nts_malformed),
                     static_cast<unsigned long long>(t.invalid_nts_auth),
                     static_cast<unsigned long long>(t.nts_verified), o.nts_verify_every);
    if (t.timed_out)
        std::fprintf(out, "timed out         %llu (window accounting, --timeout-ms)\n",
                     static_cast<unsigned long long>(t.timed_out));
    if (t.refused)
        std::fprintf(out, "port unreachable  %llu (is the server running?)\n",
                     static_cast<unsigned long long>(t.refused));
    const auto& h = t.latency;
    std::fprintf(out,
                 "latency us        min %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
                 us(h.min_ns()), us(h.percentile_ns(0.5)), us(h.percentile_ns(0.9)),
                 us(h.percentile_ns(0.99)), us(h.percentile_ns(0.999)), us(h.max_ns()));
    std::fprintf(out,
                 "generator cpu     %.2f s over %.2f s wall (%.0f %%), idle %.1f %% of sending\n",
                 info.generator_cpu_s, info.wall_s,
                 info.wall_s > 0 ? 100.0 * info.generator_cpu_s / info.wall_s : 0.0, idle_pct(t));
}

void print_json(std::FILE* out, const Options& o, const ThreadStats& t, const RunInfo& info) {
    const double s = t.send_phase_s;
    const auto& h = t.latency;
    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    std::fprintf(out, "{\"target\":\"%s\",\"sockets\":%u,\"threads\":%u,\"batch\":%u,",
                 o.target_text.c_str(), o.sockets, o.threads, o.batch);
    std::fprintf(out, "\"offered_rate_per_s\":%.0f,\"window\":%u,\"gso\":%s,\"duration_s\":%.6f,",
                 o.rate_per_s, o.window, o.gso ? "true" : "false", s);
    std::fprintf(out,
                 "\"sent\":%llu,\"sent_per_s\":%.1f,\"send_blocked\":%llu,\"send_errors\":%llu,",
                 u(t.sent), per_s(t.sent, s), u(t.send_blocked), u(t.send_errors));
    std::fprintf(out, "\"received\":%llu,\"valid\":%llu,\"responses_per_s\":%.1f,", u(t.received),
                 u(t.valid), per_s(t.valid, s));
    std::fprintf(out, "\"lost\":%llu,\"loss_pct\":%.4f,\"kod\":%llu,\"invalid\":%llu,", u(lost(t)),
                 pct(lost(t), t.sent), u(t.kod), u(t.invalid()));
    std::fprintf(out,
                 "\"invalid_short\":%llu,\"invalid_long\":%llu,\"invalid_mode\":%llu,"
                 "\"invalid_version\":%llu,\"invalid_origin\":%llu,\"duplicates\":%llu,"
                 "\"late\":%llu,\"timed_out\":%llu,\"refused\":%llu,",
                 u(t.invalid_short), u(t.invalid_long), u(t.invalid_mode), u(t.invalid_version),
                 u(t.invalid_origin), u(t.duplicates), u(t.late), u(t.timed_out), u(t.refused));
    std::fprintf(out,
                 "\"nts\":%s,\"request_bytes\":%zu,\"nts_ke_ms\":%.3f,\"nts_naks\":%llu,"
                 "\"invalid_nts_uid\":%llu,\"invalid_nts_malformed\":%llu,"
                 "\"invalid_nts_auth\":%llu,\"nts_verified\":%llu,\"nts_verify_every\":%u,",
                 o.nts ? "true" : "false", info.request_bytes, info.nts_ke_ms, u(t.nts_naks),
                 u(t.invalid_nts_uid), u(t.invalid_nts_malformed), u(t.invalid_nts_auth),
                 u(t.nts_verified), o.nts_verify_every);
    std::fprintf(out,
                 "\"latency_us\":{\"min\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
                 "\"p99_9\":%.3f,\"max\":%.3f},",
                 us(h.min_ns()), us(h.percentile_ns(0.5)), us(h.percentile_ns(0.9)),
                 us(h.percentile_ns(0.99)), us(h.percentile_ns(0.999)), us(h.max_ns()));
    std::fprintf(out, "\"generator_cpu_s\":%.4f,\"generator_idle_pct\":%.2f,\"wall_s\":%.4f}\n",
                 info.generator_cpu_s, idle_pct(t), info.wall_s);
}

}  // namespace ntplite::tools::loadgen
