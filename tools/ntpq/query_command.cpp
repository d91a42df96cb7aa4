#include "tools/ntpq/query_command.hpp"

#include <boost/asio/io_context.hpp>
#include <thread>

#include "sysutil/clock_read.hpp"
#include "tools/ntpq/format.hpp"
#include "tools/ntpq/host_port.hpp"
#include "tools/ntpq/sntp_client.hpp"

namespace ntplite::tools {
namespace {

std::chrono::nanoseconds seconds_to_ns(double s) {
    return std::chrono::nanoseconds(static_cast<int64_t>(s * 1e9));
}

ExitCode finish(const QueryReport& report, const QueryOptions& o, std::ostream& out,
                std::ostream& err) {
    if (o.json) out << to_json(report).dump(2) << "\n";
    if (report.exit_code != ExitCode::kOk) {
        const SntpFailure* f = report.fatal ? &*report.fatal : nullptr;
        for (const auto& s : report.samples) {
            if (!s.result) f = &s.result.error();
        }
        err << "ntpq-lite: " << (f ? f->message : std::string("no samples")) << "\n";
    }
    out.flush();
    return report.exit_code;
}

}  // namespace

ExitCode run_query(const QueryOptions& o, std::ostream& out, std::ostream& err) {
    auto server = parse_host_port(o.server);
    if (!server) {
        err << "ntpq-lite: bad server '" << o.server << "': " << server.error() << "\n";
        return ExitCode::kUsage;
    }
    QueryReport report;
    report.server = *server;
    report.count_requested = o.count;
    report.interval_s = o.interval_s;
    report.timeout_s = o.timeout_s;
    const auto timeout = seconds_to_ns(o.timeout_s);

    auto addresses = resolve_server(*server, timeout);
    if (!addresses) {
        report.fatal = addresses.error();
        report.exit_code = exit_code_for(addresses.error().error);
        return finish(report, o, out, err);
    }

    boost::asio::io_context io;
    SntpClient client(io, std::move(*addresses));
    const bool chart = !o.json && o.count > 1;
    ChartScale scale;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.count; ++i) {
        if (i > 0) std::this_thread::sleep_until(start + i * seconds_to_ns(o.interval_s));
        SampleOutcome outcome{0, client.query(timeout)};
        outcome.time_unix_ns = outcome.result ? outcome.result->t4_unix_ns : sysutil::realtime_ns();
        if (chart) {
            if (i == 0) {
                scale = choose_chart_scale(outcome.result ? std::optional(outcome.result->offset_ns)
                                                          : std::nullopt);
                out << format_stripchart_header(*server, report, scale);
            } else if (outcome.result && chart_needs_rescale(outcome.result->offset_ns, scale)) {
                // Rescale to the samples shown: the new scale covers this one, with a new
                // label line so earlier lines keep their own scale.
                scale = choose_chart_scale(outcome.result->offset_ns);
                out << format_strip_scale(scale);
            }
            out << format_stripchart_line(outcome, scale) << std::flush;
        }
        bool kod = !outcome.result && outcome.result.error().error == SntpError::kKissOfDeath;
        report.samples.push_back(std::move(outcome));
        if (kod) break;  // the server asked us to stop (RATE, DENY, RSTR...)
    }

    std::vector<SntpError> failures;
    std::size_t valid = 0;
    for (const auto& s : report.samples) {
        if (s.result) {
            ++valid;
        } else {
            failures.push_back(s.result.error().error);
        }
    }
    report.exit_code = overall_exit_code(failures, valid);
    if (!o.json) {
        if (chart) {
            out << format_summary(report);
        } else if (report.samples.back().result) {
            out << format_sample_details(*report.samples.back().result, *server);
        }
    }
    return finish(report, o, out, err);
}

std::string query_help_footer() {
    std::string s =
        "Output: with one sample, a block of fields (offset > 0: the server is ahead of the\n"
        "local clock). With --count N > 1, one strip-chart line per sample (UTC time, offset,\n"
        "delay, a chart of the offset) and a summary: min/median/max of offset and delay.\n"
        "\n"
        "--json prints one document (schema \"ntpq-lite.query/1\", full description in\n"
        "tools/ntpq/README.md): {schema, server{host,port}, count, interval_s, timeout_s,\n"
        "samples[{time_utc, time_unix_ns, ok, and when ok: address, port, offset_ns, offset_s,\n"
        "delay_ns, delay_s, stratum, refid, refid_raw, leap, version, poll_log2, precision_log2,\n"
        "precision_s, root_delay_ns, root_delay_s, root_dispersion_ns, root_dispersion_s,\n"
        "t1_unix_ns, t4_unix_ns, kernel_rx_timestamp; when not ok: error, message, exit_code,\n"
        "kiss_code, kiss_description}], summary{requests, valid, failed, offset_ns, offset_s,\n"
        "delay_ns, delay_s (each {min,median,max} or null)}, exit_code, error (null or\n"
        "{code,message})}.\n"
        "\n";
    s += exit_codes_help();
    return s;
}

}  // namespace ntplite::tools
