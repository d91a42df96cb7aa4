#include "tools/ntpq/exit_codes.hpp"

#include "tools/ntpq/mode6_client.hpp"

namespace ntplite::tools {

ExitCode exit_code_for(SntpError e) {
    switch (e) {
        case SntpError::kResolveFailed:
            return ExitCode::kResolveFailed;
        case SntpError::kNoAnswer:
            return ExitCode::kNoAnswer;
        case SntpError::kKissOfDeath:
            return ExitCode::kKissOfDeath;
        case SntpError::kUnsynchronized:
            return ExitCode::kUnsynchronized;
        case SntpError::kInvalidResponse:
            return ExitCode::kInvalidResponse;
        case SntpError::kNetwork:
            return ExitCode::kInternal;
    }
    return ExitCode::kInternal;
}

ExitCode exit_code_for(const Mode6Failure& f) {
    switch (f.kind) {
        case Mode6Failure::Kind::kResolveFailed:
            return ExitCode::kResolveFailed;
        case Mode6Failure::Kind::kUnreachable:
            return ExitCode::kDaemonUnreachable;
        case Mode6Failure::Kind::kRefused:
            return ExitCode::kDaemonRefused;
        case Mode6Failure::Kind::kBadResponse:
            return ExitCode::kInvalidResponse;
        case Mode6Failure::Kind::kNetwork:
            return ExitCode::kInternal;
    }
    return ExitCode::kInternal;
}

ExitCode overall_exit_code(std::span<const SntpError> failures, std::size_t valid_samples) {
    for (SntpError e : failures) {
        if (e == SntpError::kKissOfDeath) return ExitCode::kKissOfDeath;
    }
    if (valid_samples > 0) return ExitCode::kOk;
    if (failures.empty()) return ExitCode::kInternal;
    return exit_code_for(failures.back());
}

std::string_view exit_codes_help() {
    return "Exit status:\n"
           "  0  ok: at least one valid sample\n"
           "  1  internal or local socket error\n"
           "  2  usage error (bad command line)\n"
           "  3  the server name did not resolve\n"
           "  4  no answer within --timeout (or port unreachable)\n"
           "  5  the server sent a Kiss-o'-Death (querying stops at once)\n"
           "  6  the server is unsynchronized (leap indicator 3 or stratum >= 16)\n"
           "  7  only invalid replies (failed the RFC 5905 validity tests)\n"
           "  8  daemon unreachable: no answer from --host/--port (or the control socket),\n"
           "     or this address is not in the daemon's [control] allow list\n"
           "  9  the daemon refused the request (error response, resync not possible)\n"
           " 10  monitor: a server did not answer or disagrees with the majority\n"
           " 11  status/source: the daemon is in holdover (serving time, no source left)\n"
           " 12  status/source: the daemon serves its [local] fallback clock\n"
           " 13  waitsync: not synchronized within --max-offset before --timeout\n"
           "status/source exit 0 synchronized to a source, 11 holdover, 12 local fallback,\n"
           "6 unsynchronized.\n";
}

}  // namespace ntplite::tools
