// Exit statuses of ntpq-lite: one per kind of failure, documented in --help.
#pragma once

#include <span>
#include <string_view>

#include "tools/ntpq/sntp_reply.hpp"

namespace ntplite::tools {

enum class ExitCode : int {
    kOk = 0,                 ///< at least one valid sample (and no Kiss-o'-Death)
    kInternal = 1,           ///< unexpected internal or local socket error
    kUsage = 2,              ///< bad command line
    kResolveFailed = 3,      ///< the server name did not resolve
    kNoAnswer = 4,           ///< no answer within --timeout (or port unreachable)
    kKissOfDeath = 5,        ///< the server sent a Kiss-o'-Death
    kUnsynchronized = 6,     ///< the server is unsynchronized (LI=3 or stratum >= 16)
    kInvalidResponse = 7,    ///< only replies that failed the validity tests
    kDaemonUnreachable = 8,  ///< peers/status/source/resync: no daemon answered (or not allowed)
    kDaemonRefused = 9,      ///< the daemon answered with an error / refused the request
    kDisagreement = 10,      ///< monitor: a server failed or disagrees with the majority
    kHoldover = 11,          ///< status/source/waitsync: serving time in holdover (no source)
    kLocalFallback = 12,     ///< status/source/waitsync: serving the [local] fallback clock
    kWaitTimeout = 13,       ///< waitsync: not synchronized within the bound before --timeout
};

/// The exit status for a failed mode 6 request.
struct Mode6Failure;
ExitCode exit_code_for(const Mode6Failure& f);

/// The exit status for one kind of failed query.
ExitCode exit_code_for(SntpError e);

/// The exit status of a run of samples (each one either a sample or a failure): a KoD wins
/// (the server asked us to go away); otherwise OK if any sample was valid; otherwise the status
/// of the last failure. An empty run is kInternal.
ExitCode overall_exit_code(std::span<const SntpError> failures, std::size_t valid_samples);

/// The table printed in --help ("  0  ok ...", one line per code).
std::string_view exit_codes_help();

}  // namespace ntplite::tools
