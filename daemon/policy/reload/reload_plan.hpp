// What a reload (SIGHUP) does with a new configuration: refuse it whole, apply it, or keep a
// setting's running value and report it as needing a restart. Pure: the edge (Engine::reload)
// reads the files (config, [auth] keyfile, [nts] certificate) and hands what it found here.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "proto/auth/keys.hpp"

namespace ntplite::daemon {

/// What the edge found on disk for the new configuration.
struct ReloadFacts {
    /// The symmetric keys the new configuration would run with (re-read, or the running set
    /// when the file did not change); null = no [auth] keyfile.
    const auth::KeySet* keys = nullptr;
    /// The keys file could not be read or parsed ("file:line: message"); non-empty = refused.
    std::vector<std::string> keyfile_errors;
    /// The keys were re-read (path or file changed): they replace the running ones.
    bool keyfile_changed = false;
    /// The [nts] certificate or private key (path or file) changed and loaded: the NTS-KE
    /// server takes them for new connections.
    bool certificate_changed = false;
    /// The new certificate/key could not be loaded; non-empty = refused.
    std::vector<std::string> certificate_errors;
};

/// The decision. `refused` non-empty: nothing is applied (the running configuration stays).
struct ReloadPlan {
    std::vector<std::string> refused;  ///< why the reload is refused, one message each
    std::vector<std::string> restart;  ///< settings that changed but need a restart, by name
    std::vector<std::string> applied;  ///< [auth]/[nts] changes applied now, by name
};

/// Decides a reload from the running configuration `running` to `next` (already parsed and
/// valid) with what the edge read (`facts`).
ReloadPlan plan_reload(const config::Config& running, const config::Config& next,
                       const ReloadFacts& facts);

/// `next` with every restart-only setting set back to its running value, so the engine's
/// configuration always says what is in force.
config::Config keep_restart_only(const config::Config& running, config::Config next);

/// True when the NTS server is on in both: the certificate can be replaced without restart.
bool nts_server_stays(const config::Config& running, const config::Config& next);

}  // namespace ntplite::daemon
