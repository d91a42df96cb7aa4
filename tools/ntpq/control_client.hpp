// `ntpq-lite resync` and `ntpq-lite snapshot`: requests over ntpd-lite's local control socket
// (Unix domain, [control] socket in its config). Protocol: one request line ("resync" or
// "snapshot"), one JSON document back ({"ok": true, ...} or {"ok": false, "error": "..."}).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "tools/ntpq/exit_codes.hpp"

namespace ntplite::tools {

inline constexpr std::string_view kDefaultControlSocket = "/run/ntpd-lite/control.sock";
inline constexpr std::string_view kResyncJsonSchema = "ntpq-lite.resync/1";
inline constexpr std::string_view kSnapshotJsonSchema = "ntpq-lite.snapshot/1";
inline constexpr std::string_view kClientsJsonSchema = "ntpq-lite.clients/1";

struct ControlOptions {
    std::string socket_path{kDefaultControlSocket};
    double timeout_s = 2.0;
    bool json = false;
};

/// Why a control socket request failed, and the exit status that goes with it.
struct ControlFailure {
    ExitCode code = ExitCode::kDaemonUnreachable;
    std::string token;  ///< "daemon_unreachable", "daemon_refused", "invalid_response"
    std::string message;
};

/// Sends `command` and returns the daemon's reply text (one JSON document).
std::expected<std::string, ControlFailure> control_request(const std::string& socket_path,
                                                           std::string_view command,
                                                           std::chrono::milliseconds timeout);

/// What a successful resync reply says.
struct ResyncReply {
    int64_t sources = 0;  ///< sources that started a burst
    std::string message;  ///< the daemon's one-line summary ("" if none)
};

/// Reads the daemon's resync reply (pure). Any text that is not the documented JSON object, or
/// whose fields have the wrong types, is kInvalidResponse; {"ok": false} is kDaemonRefused.
std::expected<ResyncReply, ControlFailure> parse_resync_reply(std::string_view text);

/// `resync`: asks the daemon to poll every source now. Prints success or why not.
ExitCode run_resync(const ControlOptions& o, std::ostream& out, std::ostream& err);
/// `snapshot`: prints the daemon's full JSON snapshot (system, sources, counters).
ExitCode run_snapshot(const ControlOptions& o, std::ostream& out, std::ostream& err);

/// `clients`: the addresses ntpd-lite's server has seen (like `chronyc clients`), busiest first.
ExitCode run_clients(const ControlOptions& o, std::ostream& out, std::ostream& err);
/// The clients table (79 columns) from the daemon's "clients" answer.
std::string format_clients(const nlohmann::json& reply);

}  // namespace ntplite::tools
