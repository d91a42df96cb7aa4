// Output of `peers`, `status` and `source`: text like `ntpq -p`, `chronyc tracking` and
// `w32tm /query /source`, and JSON (schemas "ntpq-lite.peers/1", "ntpq-lite.status/1",
// "ntpq-lite.source/1", documented in tools/ntpq/README.md). Pure functions of a DaemonReport.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tools/ntpq/daemon_query.hpp"
#include "tools/ntpq/exit_codes.hpp"

namespace ntplite::tools {

inline constexpr std::string_view kPeersJsonSchema = "ntpq-lite.peers/1";
inline constexpr std::string_view kStatusJsonSchema = "ntpq-lite.status/1";
inline constexpr std::string_view kSourceJsonSchema = "ntpq-lite.source/1";

/// ntpq's interval style: seconds up to 2048, then "35m", "12h", "3d"; "-" for unknown.
std::string pretty_interval(std::optional<int64_t> seconds);
/// A refid as the peers table shows it: codes as ".GPS.", addresses as they are.
std::string display_refid(std::string_view refid);

/// The `ntpq -p` table: header, rule, one line per association (tally, remote, refid, st, t,
/// when, poll, reach in octal, delay/offset/jitter in ms).
std::string format_peers_table(const DaemonReport& r, bool verbose = false);
/// What `peers -v` prints above the table: tally codes, columns, units and states.
std::string_view peers_legend();
/// The system state as one sentence ("synchronized to X (stratum N)", "holdover since T, N s
/// left", "local fallback at stratum N", "unsynchronized because R").
std::string state_sentence(const DaemonReport& r);
/// The exit status of status/source for the daemon's state (0, 11, 12 or 6).
ExitCode exit_code_for_state(const DaemonReport& r);
/// A ms value right-aligned in `width` columns: 3 decimals, fewer if it would not fit; "-" if
/// absent; a sign on positive values too when `with_sign`.
std::string fit_ms(const std::optional<double>& v, int width, bool with_sign = false);
/// The source in use's authentication for `status`: "none", "key N" or "NTS, N cookies left",
/// then replies refused (and the last reason) and NTS-KE failures by kind, if any.
std::string peer_auth_line(const PeerInfo& p);
/// The server's authentication: replies with a MAC or NTS, drops by kind, NTS NAKs ("" from a
/// daemon that does not report them).
std::string server_auth_line(const SystemInfo& s);
/// The NTS-KE server: handshakes, sessions, cookies, failures by kind ("" when it is off).
std::string nts_ke_server_line(const SystemInfo& s);
/// The `chronyc tracking`-style block.
std::string format_status(const DaemonReport& r);
/// One line: the source in use, "Local clock ..." or "Free-running System Clock ...".
std::string format_source_line(const DaemonReport& r);
/// "ntp" (a source is selected), "local" (serving its own clock), "none" (not synchronized).
std::string_view source_kind(const DaemonReport& r);

nlohmann::ordered_json peers_json(const DaemonReport& r);
nlohmann::ordered_json status_json(const DaemonReport& r);
nlohmann::ordered_json source_json(const DaemonReport& r);
/// The document printed when a command fails: {schema, host, exit_code, error{code,message}}.
nlohmann::ordered_json failure_json(std::string_view schema, std::string_view host, ExitCode code,
                                    std::string_view error_code, std::string_view message);

}  // namespace ntplite::tools
