// `ntpq-lite peers`, `status` and `source`: mode 6 queries of a running daemon (ntpd-lite, or
// any RFC 9327 server such as ntpsec's ntpd), printed as text or JSON.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "tools/ntpq/exit_codes.hpp"
#include "tools/ntpq/mode6_client.hpp"

namespace ntplite::tools {

/// Options shared by the commands that talk to a daemon over mode 6.
struct DaemonOptions {
    std::string host = "127.0.0.1";  ///< name or address of the daemon
    uint16_t port = 123;             ///< its NTP port
    double timeout_s = 2.0;          ///< per request
    bool json = false;
    bool verbose = false;  ///< peers -v: print the legend
};

enum class DaemonCommand : uint8_t { kPeers, kStatus, kSource };

/// Runs one command against `transport` (already connected to the daemon `host_label`), writing
/// the result to `out` and one-line errors to `err`. Returns the exit status. Split from
/// run_daemon_command so the unit tests drive it with an in-process responder.
ExitCode run_daemon_command_on(DaemonCommand cmd, Mode6Transport& transport,
                               const std::string& host_label, const DaemonOptions& o,
                               int64_t now_unix_ns, std::ostream& out, std::ostream& err);

/// Resolves and connects to o.host:o.port, then runs the command.
ExitCode run_daemon_command(DaemonCommand cmd, const DaemonOptions& o, std::ostream& out,
                            std::ostream& err);

}  // namespace ntplite::tools
