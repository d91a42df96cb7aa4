#include "tools/ntpq/daemon_commands.hpp"

#include "sysutil/clock_read.hpp"
#include "tools/ntpq/daemon_format.hpp"
#include "tools/ntpq/daemon_query.hpp"
#include "tools/ntpq/host_port.hpp"

namespace ntplite::tools {
namespace {

std::string_view schema_of(DaemonCommand c) {
    switch (c) {
        case DaemonCommand::kPeers:
            return kPeersJsonSchema;
        case DaemonCommand::kStatus:
            return kStatusJsonSchema;
        case DaemonCommand::kSource:
            return kSourceJsonSchema;
    }
    return "";
}

std::string_view failure_token(Mode6Failure::Kind k) {
    switch (k) {
        case Mode6Failure::Kind::kResolveFailed:
            return "resolve_failed";
        case Mode6Failure::Kind::kUnreachable:
            return "daemon_unreachable";
        case Mode6Failure::Kind::kRefused:
            return "daemon_refused";
        case Mode6Failure::Kind::kBadResponse:
            return "invalid_response";
        case Mode6Failure::Kind::kNetwork:
            return "network";
    }
    return "internal";
}

ExitCode fail(DaemonCommand cmd, const std::string& host, const DaemonOptions& o,
              const Mode6Failure& f, std::ostream& out, std::ostream& err) {
    const ExitCode code = exit_code_for(f);
    if (o.json)
        out << failure_json(schema_of(cmd), host, code, failure_token(f.kind), f.message).dump(2)
            << "\n";
    err << "ntpq-lite: " << f.message << "\n";
    return code;
}

}  // namespace

ExitCode run_daemon_command_on(DaemonCommand cmd, Mode6Transport& transport,
                               const std::string& host_label, const DaemonOptions& o,
                               int64_t now_unix_ns, std::ostream& out, std::ostream& err) {
    Mode6Client client(transport, std::chrono::nanoseconds(static_cast<int64_t>(o.timeout_s * 1e9)),
                       host_label);
    FetchScope scope;
    scope.peers = cmd == DaemonCommand::kPeers;
    scope.system = true;
    auto report = fetch_daemon(client, scope, now_unix_ns);
    if (!report) return fail(cmd, host_label, o, report.error(), out, err);
    switch (cmd) {
        case DaemonCommand::kPeers:
            out << (o.json ? peers_json(*report).dump(2) + "\n"
                           : format_peers_table(*report, o.verbose));
            return ExitCode::kOk;
        case DaemonCommand::kStatus:
            out << (o.json ? status_json(*report).dump(2) + "\n" : format_status(*report));
            break;
        case DaemonCommand::kSource:
            out << (o.json ? source_json(*report).dump(2) + "\n"
                           : format_source_line(*report) + "\n");
            break;
    }
    return exit_code_for_state(*report);
}

ExitCode run_daemon_command(DaemonCommand cmd, const DaemonOptions& o, std::ostream& out,
                            std::ostream& err) {
    auto hp = parse_host_port(o.host, o.port);
    if (!hp) {
        err << "ntpq-lite: bad --host '" << o.host << "': " << hp.error() << "\n";
        return ExitCode::kUsage;
    }
    const std::string label = to_string(*hp);
    auto transport = UdpMode6Transport::open(
        *hp, std::chrono::nanoseconds(static_cast<int64_t>(o.timeout_s * 1e9)));
    if (!transport) return fail(cmd, label, o, transport.error(), out, err);
    return run_daemon_command_on(cmd, **transport, label, o, sysutil::realtime_ns(), out, err);
}

}  // namespace ntplite::tools
