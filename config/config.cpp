#include "config/config.hpp"

// toml++ 3.3 asserts (abort) on some malformed keys ("[#server]]") where its release build
// reports a parse error; make every build type behave like the release build, whose error path
// is the one the fuzzer checks (tests/fuzz/fuzz_config.cpp).
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <sstream>

#include "config/text.hpp"

namespace ntplite::config {

std::string ConfigError::to_string() const {
    if (pos.line == 0) return file + ": " + message;
    return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " +
           message;
}

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::kTrace:
            return "trace";
        case LogLevel::kDebug:
            return "debug";
        case LogLevel::kInfo:
            return "info";
        case LogLevel::kWarn:
            return "warn";
        case LogLevel::kError:
            return "error";
        case LogLevel::kCritical:
            return "critical";
        case LogLevel::kOff:
            return "off";
    }
    return "?";
}

namespace {

constexpr std::string_view kTopKeys[] = {"daemon",  "log",     "clock",  "source",
                                         "local",   "server",  "access", "ratelimit",
                                         "control", "metrics", "nts",    "auth"};
constexpr std::string_view kDaemonKeys[] = {"user", "pidfile", "keep_net_bind_service"};
constexpr std::string_view kLogKeys[] = {"level"};
constexpr std::string_view kClockKeys[] = {
    "mode",        "step_threshold", "step_limit", "panic_threshold",     "max_backward_step",
    "min_sources", "holdover",       "drift_file", "drift_save_interval", "max_slew_rate"};
constexpr std::string_view kSourceKeys[] = {"mode",    "address",    "iburst",   "minpoll",
                                            "maxpoll", "prefer",     "noselect", "max_sources",
                                            "nts",     "trusted_ca", "ke_port",  "key"};
constexpr std::string_view kLocalKeys[] = {"stratum"};
constexpr std::string_view kServerKeys[] = {"listen", "threads", "allow", "deny"};
constexpr std::string_view kAccessKeys[] = {"allow", "deny"};
constexpr std::string_view kRateLimitKeys[] = {"enabled", "interval_log2", "burst",
                                               "leak",    "kod",           "table_size"};
constexpr std::string_view kControlKeys[] = {"socket", "socket_mode", "allow"};
constexpr std::string_view kMetricsKeys[] = {"listen"};
constexpr std::string_view kNtsKeys[] = {"certificate",  "private_key", "ke_listen", "key_file",
                                         "key_rotation", "ntp_server",  "ntp_port"};
constexpr std::string_view kAuthKeys[] = {"keyfile"};

constexpr TableKeys kKnownKeys[] = {
    {"", kTopKeys},
    {"[daemon]", kDaemonKeys},
    {"[log]", kLogKeys},
    {"[clock]", kClockKeys},
    {"[[source]]", kSourceKeys},
    {"[local]", kLocalKeys},
    {"[[server]]", kServerKeys},
    {"[access]", kAccessKeys},
    {"[ratelimit]", kRateLimitKeys},
    {"[control]", kControlKeys},
    {"[metrics]", kMetricsKeys},
    {"[nts]", kNtsKeys},
    {"[auth]", kAuthKeys},
};

std::span<const std::string_view> keys_of(std::string_view table) {
    for (const TableKeys& t : kKnownKeys)
        if (t.table == table) return t.keys;
    return {};
}

SourcePos pos_of(const toml::source_region& r) {
    return {r.begin.line, r.begin.column};
}

/// Walks the parsed document section by section, collecting every error instead of stopping at
/// the first, so one --check-config run shows all of them.
class Reader {
  public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    std::vector<ConfigError>& errors() { return errors_; }

    void error(const toml::source_region& where, std::string message) {
        errors_.push_back(ConfigError{file_, pos_of(where), std::move(message)});
    }

    /// Every key of `table` must be in `known`: a typo must not be silently ignored.
    void check_keys(const toml::table& table, std::string_view section) {
        const std::span<const std::string_view> known = keys_of(section);
        for (auto&& [key, value] : table) {
            bool ok = false;
            for (auto k : known) ok = ok || key.str() == k;
            if (!ok) {
                std::string list;
                for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
                error(key.source(), "unknown key " + quoted(key.str()) + " in " +
                                        std::string(section.empty() ? "the top level" : section) +
                                        " (known keys: " + list + ")");
            }
        }
    }

    /// The table at `key` of `root`, or nullptr (with an error if it is something else).
    const toml::table* table(const toml::table& root, std::string_view key) {
        const toml::node* n = root.get(key);
        if (!n) return nullptr;
        if (!n->is_table()) {
            error(n->source(),
                  "\"" + std::string(key) + "\" must be a table ([" + std::string(key) + "])");
            return nullptr;
        }
        return n->as_table();
    }

    /// Tables of the array of tables at `key` ([[key]]).
    std::vector<const toml::table*> table_array(const toml::table& root, std::string_view key,
                                                std::size_t max_tables) {
        std::vector<const toml::table*> out;
        const toml::node* n = root.get(key);
        if (!n) return out;
        const toml::array* arr = n->as_array();
        if (!arr || !arr->is_array_of_tables()) {
            error(n->source(), "\"" + std::string(key) + "\" must be written as [[" +
                                   std::string(key) + "]] tables");
            return out;
        }
        if (arr->size() > max_tables) {
            error(n->source(), std::to_string(arr->size()) + " [[" + std::string(key) +
                                   "]] tables (at most " + std::to_string(max_tables) + ")");
            return out;
        }
        for (const auto& t : *arr) out.push_back(t.as_table());
        return out;
    }

    void get_int(const toml::table& t, std::string_view key, int64_t min, int64_t max, auto& out) {
        const toml::node* n = t.get(key);
        if (!n) return;
        auto v = n->value_exact<int64_t>();
        if (!v) {
            error(n->source(), "\"" + std::string(key) + "\" must be an integer");
        } else if (*v < min || *v > max) {
            error(n->source(), "\"" + std::string(key) + "\" = " + std::to_string(*v) +
                                   " is out of range (" + std::to_string(min) + ".." +
                                   std::to_string(max) + ")");
        } else {
            out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
        }
    }

    void get_double(const toml::table& t, std::string_view key, double min, double max,
                    double& out) {
        const toml::node* n = t.get(key);
        if (!n) return;
        std::optional<double> v;
        if (auto i = n->value_exact<int64_t>()) v = static_cast<double>(*i);
        if (auto d = n->value_exact<double>()) v = *d;
        if (!v) {
            error(n->source(), "\"" + std::string(key) + "\" must be a number");
        } else if (!std::isfinite(*v) || *v < min || *v > max) {
            std::ostringstream msg;
            msg << "\"" << key << "\" = " << *v << " is out of range (" << min << ".." << max
                << ")";
            error(n->source(), msg.str());
        } else {
            out = *v;
        }
    }

    void get_bool(const toml::table& t, std::string_view key, bool& out) {
        const toml::node* n = t.get(key);
        if (!n) return;
        if (auto v = n->value_exact<bool>()) {
            out = *v;
        } else {
            error(n->source(), "\"" + std::string(key) + "\" must be true or false");
        }
    }

    /// The string at `key` and its position, or nullopt (error if not a string).
    std::optional<std::pair<std::string, toml::source_region>> get_string(const toml::table& t,
                                                                          std::string_view key) {
        const toml::node* n = t.get(key);
        if (!n) return std::nullopt;
        if (auto v = n->value_exact<std::string>()) return std::pair{*v, n->source()};
        error(n->source(), "\"" + std::string(key) + "\" must be a string");
        return std::nullopt;
    }

    /// A list of CIDR prefixes; a single string is accepted as a one-element list.
    std::optional<std::vector<CidrPrefix>> get_prefixes(const toml::table& t,
                                                        std::string_view key) {
        const toml::node* n = t.get(key);
        if (!n) return std::nullopt;
        std::vector<CidrPrefix> out;
        auto one = [&](const toml::node& item) {
            auto s = item.value_exact<std::string>();
            if (!s) {
                error(item.source(),
                      "\"" + std::string(key) + "\" entries must be strings like \"10.0.0.0/8\"");
                return;
            }
            if (auto p = parse_cidr(*s)) {
                out.push_back(*p);
            } else {
                error(item.source(), p.error());
            }
        };
        if (const toml::array* arr = n->as_array()) {
            if (arr->size() > kMaxPrefixesPerList) {
                error(n->source(), "\"" + std::string(key) + "\" has " +
                                       std::to_string(arr->size()) + " entries (at most " +
                                       std::to_string(kMaxPrefixesPerList) + ")");
                return out;
            }
            for (const auto& item : *arr) one(item);
        } else {
            one(*n);
        }
        return out;
    }

    void read_access(const toml::table& t, AccessConfig& out) {
        if (auto v = get_prefixes(t, "allow")) out.allow = std::move(*v);
        if (auto v = get_prefixes(t, "deny")) out.deny = std::move(*v);
    }

    void read_document(const toml::table& root, Config& cfg) {
        check_keys(root, "");
        if (auto* t = table(root, "daemon")) read_daemon(*t, cfg.daemon);
        if (auto* t = table(root, "log")) read_log(*t, cfg.log);
        if (auto* t = table(root, "local")) read_local(*t, cfg.local);
        if (auto* t = table(root, "access")) {
            check_keys(*t, "[access]");
            read_access(*t, cfg.access);
        }
        for (auto* t : table_array(root, "server", kMaxServers))
            read_server(*t, cfg.servers.emplace_back());
        if (auto* t = table(root, "ratelimit")) read_ratelimit(*t, cfg.ratelimit);
        if (auto* t = table(root, "clock")) read_clock(*t, cfg.clock);
        for (auto* t : table_array(root, "source", kMaxSources)) {
            source_tables_.push_back(t);
            read_source(*t, cfg.sources.emplace_back());
        }
        if (auto* t = table(root, "control")) read_control(*t, cfg.control);
        if (auto* t = table(root, "metrics")) read_metrics(*t, cfg.metrics);
        if (auto* t = table(root, "nts")) read_nts(*t, cfg.nts);
        if (auto* t = table(root, "auth")) read_auth(*t, cfg.auth);
        // A source asking for a key needs the keys file that holds it (whether the id is in the
        // file is checked when the daemon reads the file).
        for (std::size_t i = 0; i < cfg.sources.size(); ++i) {
            const toml::table* st = i < source_tables_.size() ? source_tables_[i] : nullptr;
            if (cfg.sources[i].key && cfg.auth.keyfile.empty() && st)
                error(st->get("key")->source(),
                      "\"key\" needs a keys file: [auth] keyfile = \"/path/to/keys\"");
        }
    }

    void read_auth(const toml::table& t, AuthConfig& out) {
        check_keys(t, "[auth]");
        if (auto s = get_string(t, "keyfile")) {
            if (s->first.empty() || s->first.size() > kMaxPathBytes ||
                s->first.find('\0') != std::string::npos)
                error(s->second, "\"keyfile\" must be a file path");
            else
                out.keyfile = s->first;
        }
    }

    void read_daemon(const toml::table& t, DaemonConfig& out) {
        check_keys(t, "[daemon]");
        if (auto s = get_string(t, "user")) {
            if (s->first.empty() || s->first.find_first_of(":/\n") != std::string::npos ||
                s->first.find('\0') != std::string::npos)
                error(s->second, "\"user\" must be a user name like \"ntpd-lite\"");
            else
                out.user = s->first;
        }
        if (auto s = get_string(t, "pidfile")) {
            if (s->first.empty() || s->first.front() != '/' ||
                s->first.find('\0') != std::string::npos)
                error(s->second, "\"pidfile\" must be an absolute path");
            else
                out.pidfile = s->first;
        }
        get_bool(t, "keep_net_bind_service", out.keep_net_bind_service);
    }

    void read_log(const toml::table& t, LogConfig& out) {
        check_keys(t, "[log]");
        if (auto s = get_string(t, "level")) {
            bool found = false;
            for (int i = 0; i <= static_cast<int>(LogLevel::kOff); ++i) {
                if (to_string(static_cast<LogLevel>(i)) == s->first) {
                    out.level = static_cast<LogLevel>(i);
                    found = true;
                }
            }
            if (!found) {
                error(s->second, "unknown log level " + quoted(s->first) +
                                     " (trace, debug, info, warn, error, critical, off)");
            }
        }
    }

    void read_local(const toml::table& t, LocalConfig& out) {
        check_keys(t, "[local]");
        uint8_t stratum = 0;
        if (t.get("stratum")) {
            get_int(t, "stratum", 1, 15, stratum);
            if (stratum != 0) out.stratum = stratum;
        }
    }

    void read_server(const toml::table& t, ServerConfig& out) {
        out.pos = pos_of(t.source());
        check_keys(t, "[[server]]");
        if (auto s = get_string(t, "listen")) {
            if (auto spec = parse_listen(s->first)) {
                out.listen = *spec;
            } else {
                error(s->second, spec.error());
            }
        } else if (!t.get("listen")) {
            error(t.source(), "[[server]] needs a \"listen\" address (e.g. \"0.0.0.0:123\")");
        }
        get_int(t, "threads", 0, 256, out.threads);
        if (t.get("allow") || t.get("deny")) {
            out.access.emplace();
            read_access(t, *out.access);
        }
    }

    void read_ratelimit(const toml::table& t, RateLimitConfig& out) {
        check_keys(t, "[ratelimit]");
        out.enabled = true;
        get_bool(t, "enabled", out.enabled);
        get_int(t, "interval_log2", -4, 12, out.interval_log2);
        get_int(t, "burst", 1, 255, out.burst);
        get_double(t, "leak", 0.0, 1.0, out.leak);
        get_bool(t, "kod", out.kod);
        get_int(t, "table_size", 16, 1 << 20, out.table_size);
    }

    void read_clock(const toml::table& t, ClockConfig& out) {
        check_keys(t, "[clock]");
        if (auto s = get_string(t, "mode")) {
            if (s->first == "discipline") {
                out.mode = ClockMode::kDiscipline;
            } else if (s->first == "observe") {
                out.mode = ClockMode::kObserve;
            } else {
                error(s->second,
                      "unknown clock mode " + quoted(s->first) + " (discipline, observe)");
            }
        }
        get_double(t, "step_threshold", 0.0, 1e6, out.step_threshold_s);
        get_int(t, "step_limit", -1, 1'000'000, out.step_limit);
        get_double(t, "panic_threshold", 0.0, 1e9, out.panic_threshold_s);
        get_double(t, "max_backward_step", 0.0, 1e9, out.max_backward_step_s);
        // Up to 99,000 ppm: the tick's +-10 % range minus room for the +-500 ppm frequency.
        get_double(t, "max_slew_rate", 500.0, 99'000.0, out.max_slew_rate_ppm);
        get_int(t, "min_sources", 1, 64, out.min_sources);
        get_double(t, "holdover", 0.0, 1e9, out.holdover_s);
        if (auto s = get_string(t, "drift_file")) {
            if (s->first.empty() || s->first.size() > kMaxPathBytes ||
                s->first.find('\0') != std::string::npos)
                error(s->second, "drift_file must be a file path");
            else
                out.drift_file = s->first;
        }
        get_double(t, "drift_save_interval", 1.0, 1e9, out.drift_save_interval_s);
    }

    void read_source(const toml::table& t, SourceConfig& out) {
        out.pos = pos_of(t.source());
        check_keys(t, "[[source]]");
        if (auto s = get_string(t, "mode")) {
            if (s->first == "server") {
                out.mode = SourceMode::kServer;
            } else if (s->first == "pool") {
                out.mode = SourceMode::kPool;
            } else {
                error(s->second, "unknown source mode " + quoted(s->first) + " (server, pool)");
            }
        }
        if (auto s = get_string(t, "address")) {
            if (auto hp = parse_host_port(s->first)) {
                out.address = *hp;
            } else {
                error(s->second, hp.error());
            }
        } else if (!t.get("address")) {
            error(t.source(), "[[source]] needs an \"address\"");
        }
        get_bool(t, "iburst", out.iburst);
        get_int(t, "minpoll", -6, 17, out.minpoll_log2);
        get_int(t, "maxpoll", -6, 17, out.maxpoll_log2);
        get_bool(t, "prefer", out.prefer);
        get_bool(t, "noselect", out.noselect);
        get_int(t, "max_sources", 1, 64, out.max_sources);
        get_bool(t, "nts", out.nts);
        if (auto s = get_string(t, "trusted_ca")) out.trusted_ca = read_path(*s, "trusted_ca");
        get_int(t, "ke_port", 1, 65535, out.ke_port);
        if (t.get("key")) {
            int64_t key = 0;
            get_int(t, "key", 1, 4294967295LL, key);
            if (key != 0) out.key = static_cast<uint32_t>(key);
        }
        // One way to authenticate a source: NTS and a symmetric key would each have to be
        // appended to every request and the reply could only carry one of them.
        if (const toml::node* n = t.get("key"); n && out.nts) {
            error(n->source(), "\"key\" and \"nts = true\" on the same source: choose one");
        }
        if (const toml::node* n = t.get("max_sources"); n && out.mode != SourceMode::kPool) {
            error(n->source(), "\"max_sources\" only applies to mode = \"pool\"");
        }
        if (out.minpoll_log2 > out.maxpoll_log2) {
            const toml::node* n = t.get("maxpoll") ? t.get("maxpoll") : t.get("minpoll");
            error(n ? n->source() : t.source(), "minpoll (" + std::to_string(out.minpoll_log2) +
                                                    ") is greater than maxpoll (" +
                                                    std::to_string(out.maxpoll_log2) + ")");
        }
    }

    void read_control(const toml::table& t, ControlConfig& out) {
        check_keys(t, "[control]");
        if (auto s = get_string(t, "socket")) {
            if (s->first.empty() || s->first.front() != '/' || s->first.size() > kMaxPathBytes ||
                s->first.find('\0') != std::string::npos) {
                error(s->second, "control \"socket\" must be an absolute path (at most " +
                                     std::to_string(kMaxPathBytes) + " bytes, no NUL)");
            } else {
                out.socket = s->first;
            }
        }
        // A permission mode written in decimal (660) is almost always meant as octal: say so
        // instead of reporting "out of range" or silently applying 01224.
        const toml::node* mode = t.get("socket_mode");
        const toml::value<int64_t>* mode_int = mode ? mode->as_integer() : nullptr;
        if (mode_int && mode_int->get() > 7 &&
            !(mode_int->flags() & toml::value_flags::format_as_octal)) {
            error(mode->source(), "\"socket_mode\" = " + std::to_string(mode_int->get()) +
                                      " is decimal; write a permission mode in TOML octal, e.g. "
                                      "0o" +
                                      std::to_string(mode_int->get()));
        } else {
            get_int(t, "socket_mode", 0, 0777, out.socket_mode);
        }
        if (auto v = get_prefixes(t, "allow")) out.allow = std::move(*v);
    }

    void read_metrics(const toml::table& t, MetricsConfig& out) {
        check_keys(t, "[metrics]");
        if (auto s = get_string(t, "listen")) {
            auto spec = parse_listen(s->first);
            if (spec && spec->kind == ListenSpec::Kind::kAddress) {
                out.listen = *spec;
            } else {
                error(s->second,
                      spec ? "metrics \"listen\" must be an IP address and port" : spec.error());
            }
        }
    }

    std::string read_path(const std::pair<std::string, toml::source_region>& s,
                          std::string_view key) {
        if (s.first.empty() || s.first.size() > kMaxPathBytes ||
            s.first.find('\0') != std::string::npos) {
            error(s.second, std::string(key) + " must be a file path");
            return {};
        }
        return s.first;
    }

    void read_nts(const toml::table& t, NtsConfig& out) {
        check_keys(t, "[nts]");
        if (auto s = get_string(t, "certificate")) out.certificate = read_path(*s, "certificate");
        if (auto s = get_string(t, "private_key")) out.private_key = read_path(*s, "private_key");
        if (auto s = get_string(t, "key_file")) out.key_file = read_path(*s, "key_file");
        if (out.certificate.empty() != out.private_key.empty())
            error(t.source(), "[nts] needs both \"certificate\" and \"private_key\"");
        if (const toml::node* n = t.get("ke_listen")) {
            const toml::array* a = n->as_array();
            if (!a) error(n->source(), "\"ke_listen\" must be a list of \"ADDR:PORT\" strings");
            for (std::size_t i = 0; a && i < a->size() && i < kMaxServers; ++i) {
                const auto* v = (*a)[i].as_string();
                auto spec = v ? parse_listen(v->get()) : std::expected<ListenSpec, std::string>();
                if (v && spec && spec->kind == ListenSpec::Kind::kAddress) {
                    // parse_listen's default port is NTP's; an NTS-KE listener's is 4460.
                    if (spec->port == kNtpPort && !v->get().ends_with(":123")) spec->port = 4460;
                    out.ke_listen.push_back(*spec);
                } else
                    error((*a)[i].source(), "\"ke_listen\" entries must be \"ADDR:PORT\"");
            }
        }
        get_double(t, "key_rotation", 60.0, 1e9, out.key_rotation_s);
        if (auto s = get_string(t, "ntp_server")) {
            if (s->first.empty() || s->first.size() > 255)
                error(s->second, "\"ntp_server\" must be a host name or address");
            else
                out.ntp_server = s->first;
        }
        if (t.get("ntp_port")) {
            uint16_t port = 123;
            get_int(t, "ntp_port", 1, 65535, port);
            out.ntp_port = port;
        }
    }

  private:
    std::string file_;
    std::vector<const toml::table*> source_tables_;  // [[source]] tables, in cfg.sources order
    std::vector<ConfigError> errors_;
};

std::string fmt_code_point(char32_t c) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "character U+%04X is not supported (toml++ 3.3 mishandles it)",
                  static_cast<unsigned>(c));
    return buf;
}

ControlConfig default_control() {
    ControlConfig c;
    c.allow = {*parse_cidr("127.0.0.0/8"), *parse_cidr("::1")};
    return c;
}

}  // namespace

std::span<const TableKeys> known_keys() {
    return kKnownKeys;
}

std::expected<Config, std::vector<ConfigError>> parse_config(std::string_view text,
                                                             std::string_view file_name) {
    Config cfg;
    cfg.file = std::string(file_name);
    cfg.control = default_control();
    Reader reader{std::string(file_name)};
    if (text.size() > kMaxConfigBytes) {
        return std::unexpected(std::vector<ConfigError>{
            ConfigError{std::string(file_name),
                        {},
                        "is " + std::to_string(text.size()) + " bytes (at most " +
                            std::to_string(kMaxConfigBytes) + ")"}});
    }
    // toml++ 3.3 has had undefined behaviour on malformed UTF-8 (TOML_UNREACHABLE in its
    // decoder); it only ever sees well-formed text.
    std::size_t bad = 0;
    const bool utf8_ok = valid_utf8(text, &bad);
    // Code points toml++ 3.3 mishandles are harmless in comments (blanked there, same offsets)
    // and refused everywhere else.
    std::string blanked;
    if (utf8_ok) {
        blanked = blank_toml33_unsafe_in_comments(text);
        text = blanked;
    }
    char32_t code_point = 0;
    if (!utf8_ok || !toml33_safe(text, &bad, &code_point)) {
        SourcePos pos{1, 1};
        for (std::size_t i = 0; i < bad; ++i) {
            if (text[i] == '\n') {
                ++pos.line;
                pos.column = 1;
            } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
                ++pos.column;
            }
        }
        return std::unexpected(std::vector<ConfigError>{ConfigError{
            std::string(file_name), pos, utf8_ok ? fmt_code_point(code_point) : "invalid UTF-8"}});
    }
    toml::table root;
    try {
        root = toml::parse(text, file_name);
    } catch (const toml::parse_error& e) {
        reader.error(e.source(), std::string(e.description()));
        return std::unexpected(std::move(reader.errors()));
    }
    reader.read_document(root, cfg);
    if (!reader.errors().empty()) {
        auto& errs = reader.errors();
        std::stable_sort(errs.begin(), errs.end(), [](const ConfigError& a, const ConfigError& b) {
            return std::pair{a.pos.line, a.pos.column} < std::pair{b.pos.line, b.pos.column};
        });
        return std::unexpected(std::move(errs));
    }
    return cfg;
}

}  // namespace ntplite::config
