// ntpd-lite's configuration as plain, validated structs, one per TOML section. Built only by
// load_file()/parse_config(); nothing here is global, the daemon passes the pieces it needs down.
// Every default below is documented in packaging/ntpd-lite.toml.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clock/defaults.hpp"
#include "config/net.hpp"

namespace ntplite::config {

/// Where something was written in a config file (1-based; 0 = unknown).
struct SourcePos {
    uint32_t line = 0;
    uint32_t column = 0;
};

/// One problem in a config file; printed as "file:line:column: message".
struct ConfigError {
    std::string file;
    SourcePos pos;
    std::string message;
    std::string to_string() const;
};

/// [daemon]: how the process runs (privileges, single-instance lock).
struct DaemonConfig {
    /// After start-up (sockets bound, clock opened), switch to this user (and its group) keeping
    /// only CAP_SYS_TIME; only when started as root. "" (the default) = keep running as started.
    std::string user;
    /// Also keep CAP_NET_BIND_SERVICE after the switch, so a reload can open the [metrics]
    /// listener on a new port below 1024. It is kept anyway when [metrics] listen already uses
    /// such a port at start; false (the default) otherwise drops it.
    bool keep_net_bind_service = false;
    /// Lock file holding the daemon's pid: a second daemon with the same file refuses to start.
    /// "" (the default) = "ntpd-lite.pid" in $RUNTIME_DIRECTORY when systemd sets it, else none.
    std::string pidfile;
};

enum class LogLevel : uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

/// [log]
struct LogConfig {
    LogLevel level = LogLevel::kInfo;
};

/// [local]: serve the local clock while no source is selected (isolated networks).
struct LocalConfig {
    std::optional<uint8_t> stratum;  ///< 1..15; absent = answer "unsynchronized" until synced
};

/// Allow/deny lists of CIDR prefixes. The most specific matching prefix decides (deny wins a tie);
/// an address no prefix matches is allowed only if `allow` is empty.
struct AccessConfig {
    std::vector<CidrPrefix> allow;
    std::vector<CidrPrefix> deny;
};

/// [[server]]: one listening address.
struct ServerConfig {
    ListenSpec listen;
    unsigned threads = 0;                ///< worker threads; 0 = one per core
    std::optional<AccessConfig> access;  ///< per-server allow/deny; absent = the top-level [access]
    SourcePos pos;                       ///< where the table starts (for later messages)
};

/// [ratelimit]: per client address, like chrony's `ratelimit`.
struct RateLimitConfig {
    bool enabled = false;   ///< true once a [ratelimit] table is present (enabled = true)
    int interval_log2 = 3;  ///< average interval allowed between requests, log2 seconds
    unsigned burst = 8;     ///< requests a client may send back to back
    double leak = 0.125;    ///< fraction (0..1) of limited requests still answered normally
    bool kod = true;        ///< send a limited client one KoD RATE per interval (else only drop)
    unsigned table_size = 4096;  ///< client slots per worker thread (memory is fixed)
};

enum class ClockMode : uint8_t { kDiscipline, kObserve };

/// [clock]: what the daemon may do to the system clock (used by the sync engine).
struct ClockConfig {
    ClockMode mode = ClockMode::kDiscipline;
    // Defaults: clock/defaults.hpp (the one definition; see docs/ARCHITECTURE.md for why).
    /// Offsets larger than this (s) are stepped while steps are allowed, smaller ones slewed.
    double step_threshold_s = clock::defaults::to_seconds(clock::defaults::kStepThreshold_ns);
    /// Steps allowed only in the first N clock updates; -1 = always, 0 = never.
    int step_limit = clock::defaults::kStepLimitUpdates;
    /// Refuse (and log) offsets larger than this (s); 0 = no limit.
    double panic_threshold_s = clock::defaults::to_seconds(clock::defaults::kPanicThreshold_ns);
    /// Largest single backward step (s), the rest is slewed; 0 = no cap (the default).
    double max_backward_step_s = 0.0;
    /// Largest slew rate (ppm): offsets are slewed with the kernel tick + frequency up to this.
    double max_slew_rate_ppm = clock::defaults::kMaxSlewRate_ppm;
    unsigned min_sources = clock::defaults::kMinSources;  ///< agreeing sources needed to adjust
    /// Seconds to keep serving as synchronized after the last usable source is lost (then
    /// unsynchronized, or the [local] fallback); < 0 (the default, key absent) = until the error
    /// bound (root distance) passes 1.5 s.
    double holdover_s = -1.0;
    /// Drift file: the learned frequency (ppm), loaded at start and saved every
    /// drift_save_interval_s and at exit (discipline mode only). "" (the default) = none.
    std::string drift_file;
    double drift_save_interval_s = 3600.0;  ///< seconds between periodic saves (>= 1)
};

enum class SourceMode : uint8_t { kServer, kPool };

/// [[source]]: one upstream server or pool.
struct SourceConfig {
    SourceMode mode = SourceMode::kServer;
    HostPort address;
    bool iburst = false;
    int minpoll_log2 = clock::defaults::kMinpollLog2;  ///< log2 seconds, -6..17
    int maxpoll_log2 = clock::defaults::kMaxpollLog2;  ///< log2 seconds, minpoll..17
    bool prefer = false;
    bool noselect = false;
    unsigned max_sources = 4;  ///< pools: distinct addresses used at once
    /// NTS (RFC 8915): key exchange with the server over TLS, every packet authenticated; plain
    /// NTP is never used for this source instead.
    bool nts = false;
    std::string trusted_ca;   ///< PEM bundle to verify the NTS-KE server; "" = system CA store
    uint16_t ke_port = 4460;  ///< NTS-KE TCP port (proto::nts::kKePort)
    /// Symmetric key id (1..2^32-1) from [auth] keyfile that requests and replies must carry;
    /// absent = no symmetric-key authentication.
    std::optional<uint32_t> key;
    SourcePos pos;
};

/// [nts]: the NTS server (NTS-KE listener and cookie keys). Off unless `certificate` is set.
struct NtsConfig {
    std::string certificate;  ///< PEM certificate chain of the NTS-KE server
    std::string private_key;  ///< PEM private key
    /// NTS-KE listeners; empty (the default) = every address, port 4460 ("0.0.0.0:4460" and
    /// "[::]:4460").
    std::vector<ListenSpec> ke_listen;
    /// Master key file ("" = "nts-keys" in $STATE_DIRECTORY when systemd sets it, else keys
    /// live in memory only and a restart invalidates every cookie).
    std::string key_file;
    double key_rotation_s = 86400.0;   ///< seconds between master key rotations (>= 60)
    std::string ntp_server;            ///< advertised NTPv4 server ("" = the NTS-KE address)
    std::optional<uint16_t> ntp_port;  ///< advertised NTPv4 port (absent = not advertised)
};

/// [control]: local monitoring/control access.
struct ControlConfig {
    std::string socket;             ///< Unix socket path; empty = none
    uint32_t socket_mode = 0660;    ///< permission bits of the socket file
    std::vector<CidrPrefix> allow;  ///< who may send mode 6 queries (default localhost)
};

/// [metrics]: Prometheus endpoint.
struct MetricsConfig {
    std::optional<ListenSpec> listen;  ///< absent = no endpoint; port has no default (required)
};

/// [auth]: message authentication.
struct AuthConfig {
    /// Keys file in chrony's keyfile format ("ID TYPE HEX:..."); "" = no symmetric keys (a
    /// request carrying a MAC is then dropped).
    std::string keyfile;
};

/// The whole file.
struct Config {
    std::string file;  ///< path it was read from (for messages)
    DaemonConfig daemon;
    LogConfig log;
    LocalConfig local;
    AccessConfig access;  ///< top-level [access], the default for every [[server]]
    std::vector<ServerConfig> servers;
    RateLimitConfig ratelimit;
    ClockConfig clock;
    std::vector<SourceConfig> sources;
    ControlConfig control;
    MetricsConfig metrics;
    NtsConfig nts;
    AuthConfig auth;

    /// The access lists that apply to `server` (its own, else the top-level ones).
    const AccessConfig& access_for(const ServerConfig& server) const {
        return server.access ? *server.access : access;
    }
};

/// Largest config file accepted (bytes); a real one is a few KiB.
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;
/// Most prefixes in one allow/deny list (the ACL stays small and its lookup fast).
inline constexpr std::size_t kMaxPrefixesPerList = 10'000;
/// Most [[server]] and [[source]] tables.
inline constexpr std::size_t kMaxServers = 64;
inline constexpr std::size_t kMaxSources = 256;
/// Longest file path accepted (drift file, control socket): PATH_MAX.
inline constexpr std::size_t kMaxPathBytes = 4096;

// Reading the file itself (load_file) is edge code: config/os/config_file.hpp.

/// Parses and validates config text; `file_name` is used in messages only.
std::expected<Config, std::vector<ConfigError>> parse_config(std::string_view text,
                                                             std::string_view file_name);

std::string_view to_string(LogLevel level);

/// The keys one table accepts. `table` is "" for the top level, else as written in a file:
/// "[log]", "[[server]]", ...
struct TableKeys {
    std::string_view table;
    std::span<const std::string_view> keys;
};

/// Every table and key the parser accepts, in documentation order: the one list the parser
/// checks files against and the man page test compares with ntpd-lite.toml(5).
std::span<const TableKeys> known_keys();

}  // namespace ntplite::config
