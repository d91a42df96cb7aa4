// What `peers`, `status` and `source` read from a daemon over mode 6: the association list,
// the system variables and each association's variables, parsed into plain values. Works with
// any RFC 9327 server (ntpd-lite, ntpsec, NTP classic): unknown variables are kept, missing ones
// stay unset.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/timestamp.hpp"
#include "tools/ntpq/mode6_client.hpp"

namespace ntplite::tools {

/// Variables as received ("name" -> value without quotes), in a stable (sorted) order.
using VarMap = std::map<std::string, std::string, std::less<>>;
/// Parses a "name=value, ..." response text.
VarMap parse_vars(std::string_view text);

/// One association (a source of the daemon).
struct PeerInfo {
    uint16_t association_id = 0;
    uint16_t status = 0;  ///< peer status word
    VarMap vars;

    // Parsed from vars (nullopt / defaults when a variable is missing).
    std::string remote;  ///< srcadr (or srchost)
    std::string refid;   ///< as sent: a dotted quad, or a code like "GPS"
    int stratum = 16;
    char type = 'u';                ///< ntpq's t column: u unicast, l local clock, s/S symmetric...
    std::optional<int64_t> when_s;  ///< seconds since the last sample (rec, or reftime)
    int poll_log2 = 0;              ///< min(hpoll, ppoll)
    unsigned reach = 0;
    std::optional<double> delay_ms, offset_ms, jitter_ms;
    std::string state;   ///< ntpd-lite's "state" if sent, else from the selection code
    std::string reason;  ///< ntpd-lite's "reason" (why that state), empty from other daemons
    std::string kiss;    ///< "kiss": the last KoD code while it matters ("" when none)
    std::string auth;    ///< ntpd-lite's "auth": "none", "key", "nts" ("" from other daemons)
    int64_t keyid = 0;   ///< "keyid" (0: none)
    int64_t auth_ok = 0, auth_fail = 0;  ///< "authok"/"authfail": replies accepted / refused
    std::string auth_last;               ///< "authlast": the last refusal's reason ("" if none)
    int64_t nts_cookies = 0;             ///< "ntscookies": NTS cookies left (0 if not NTS)
    int64_t ntske_ok = 0;                ///< "ntske_ok": successful NTS-KE exchanges
    std::string ntske_fail;  ///< "ntske_fail": failed exchanges by kind, "certificate:2 ..."

    /// The selection code (RFC 9327 section 2.1.2), 0..7.
    unsigned selection() const { return (status >> 8) & 0x7u; }
    /// ntpq's tally character: " x.-+#*o"[selection()].
    char tally() const;
    bool reachable() const { return (status & 0x1000) != 0 || reach != 0; }
    /// "key 1", "nts" or "" (not authenticated), for the state/reason block.
    std::string auth_text() const;
};

/// The system (association 0).
struct SystemInfo {
    uint16_t status = 0;  ///< system status word
    VarMap vars;

    int leap = 3;
    int stratum = 16;
    std::string refid;
    uint16_t peer_association = 0;  ///< the system peer, 0 = none
    std::optional<double> offset_ms, frequency_ppm, sys_jitter_ms, clk_jitter_ms, clk_wander_ppm;
    std::optional<double> root_delay_ms, root_disp_ms;
    std::optional<int> precision_log2, poll_log2;
    std::optional<int64_t> reftime_unix_ns;  ///< last clock update (nullopt: never / unknown)
    std::string version;
    // ntpd-lite's state variables (empty / nullopt from other daemons).
    std::string sync_state;   ///< "synchronized", "holdover", "local", "unsynchronized"
    std::string sync_reason;  ///< why not (or no longer) synchronized to a source
    std::string sync_text;    ///< the daemon's own sentence for the state
    std::optional<int64_t> since_unix_ns;   ///< when the state began
    std::optional<double> holdover_left_s;  ///< holdover: seconds left (negative: unlimited)
    // ntpd-lite's server-side authentication (nullopt / empty from other daemons).
    std::optional<int64_t> auth_replies;  ///< "authreplies": replies sent with a MAC or NTS
    /// "authdrops": requests dropped by their authentication, by kind ("unknown_key",
    /// "bad_mac", "malformed", "unsupported"; only kinds that happened).
    std::vector<std::pair<std::string, int64_t>> auth_drops;
    int64_t nts_naks = 0;          ///< "nts_naks": NTS NAKs sent
    bool ntske = false;            ///< "ntske": the NTS-KE server runs
    int64_t ntske_handshakes = 0;  ///< TLS handshakes completed with ntske/1
    int64_t ntske_sessions = 0;    ///< requests answered with cookies
    int64_t ntske_cookies = 0;     ///< cookies issued
    int64_t ntske_failures = 0;    ///< connections given no cookies
    std::string ntske_fail;        ///< by kind, "tls_handshake:1 alpn:2"

    /// Stratum 16 or LI = 3 (or stratum 0): not synchronized, whatever else is claimed.
    bool synchronized() const { return leap != 3 && stratum > 0 && stratum < 16; }
};

/// Everything `peers`/`status`/`source` print, fetched in one go.
struct DaemonReport {
    std::string host;  ///< as queried, e.g. "127.0.0.1:123"
    int64_t now_unix_ns = 0;
    SystemInfo system;
    std::vector<PeerInfo> peers;
    /// The system peer's entry (by association), if there is one.
    const PeerInfo* system_peer() const;
};

/// The daemon's state in one word: "synchronized", "holdover", "local" or "unsynchronized" (from
/// ntpd-lite's sync_state, else derived: LI/stratum, a system peer, a local-clock refid).
std::string sync_state_of(const DaemonReport& r);

/// Splits "kind:N kind:N" (ntpd-lite's per-kind counts in one variable) into pairs; malformed
/// items are skipped.
std::vector<std::pair<std::string, int64_t>> parse_kind_counts(std::string_view text);

/// Parses "0xe4f1c3a2.12345678" (ntpd's timestamp format) into Unix ns near `pivot_unix_ns`;
/// nullopt for malformed text or the zero timestamp.
std::optional<int64_t> parse_lfp_unix_ns(std::string_view text, int64_t pivot_unix_ns);

/// Fills the parsed fields of a peer from its vars (`now_unix_ns` for "when").
void interpret_peer(PeerInfo& p, int64_t now_unix_ns);
/// Fills the parsed fields of the system from its vars.
void interpret_system(SystemInfo& s, int64_t now_unix_ns);

/// What to fetch.
struct FetchScope {
    bool peers = true;   ///< READSTAT + READVAR of every association
    bool system = true;  ///< READVAR of association 0
};
/// Runs the queries. `source` needs the system vars and the system peer's vars only.
std::expected<DaemonReport, Mode6Failure> fetch_daemon(Mode6Client& client, FetchScope scope,
                                                       int64_t now_unix_ns);

}  // namespace ntplite::tools
