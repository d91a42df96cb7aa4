#include "daemon/policy/reload/reload_plan.hpp"

#include <fmt/format.h>

namespace ntplite::daemon {
namespace {

bool same_listens(const std::vector<config::ListenSpec>& a,
                  const std::vector<config::ListenSpec>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].to_string() != b[i].to_string()) return false;
    return true;
}

}  // namespace

bool nts_server_stays(const config::Config& running, const config::Config& next) {
    return !running.nts.certificate.empty() && !next.nts.certificate.empty();
}

ReloadPlan plan_reload(const config::Config& a, const config::Config& b, const ReloadFacts& facts) {
    ReloadPlan p;
    // Refusals first: what the new configuration needs but cannot have.
    for (const std::string& e : facts.keyfile_errors)
        p.refused.push_back(fmt::format("[auth] keyfile: {}", e));
    for (const std::string& e : facts.certificate_errors)
        p.refused.push_back(fmt::format("[nts] certificate: {}", e));
    if (facts.keyfile_errors.empty()) {
        // As at start-up: a source whose key is not in the file could never be authenticated.
        for (const config::SourceConfig& s : b.sources) {
            if (s.key && (!facts.keys || !facts.keys->find(*s.key)))
                p.refused.push_back(
                    fmt::format("{}:{}: [[source]] key {} is not in {}", b.file, s.pos.line, *s.key,
                                b.auth.keyfile.empty() ? "(no keyfile)" : b.auth.keyfile));
        }
    }

    // Needs a restart.
    if (a.daemon.user != b.daemon.user) p.restart.push_back("[daemon] user");
    if (a.daemon.pidfile != b.daemon.pidfile) p.restart.push_back("[daemon] pidfile");
    if (a.daemon.keep_net_bind_service != b.daemon.keep_net_bind_service)
        p.restart.push_back("[daemon] keep_net_bind_service");
    const config::ClockConfig &x = a.clock, &y = b.clock;
    if (x.mode != y.mode || x.step_threshold_s != y.step_threshold_s ||
        x.step_limit != y.step_limit || x.panic_threshold_s != y.panic_threshold_s ||
        x.max_backward_step_s != y.max_backward_step_s || x.min_sources != y.min_sources ||
        x.holdover_s != y.holdover_s || x.drift_file != y.drift_file ||
        x.drift_save_interval_s != y.drift_save_interval_s)
        p.restart.push_back("[clock]");
    if (a.local.stratum != b.local.stratum) p.restart.push_back("[local]");
    bool servers_differ = a.servers.size() != b.servers.size();
    for (std::size_t i = 0; !servers_differ && i < a.servers.size(); ++i) {
        servers_differ = a.servers[i].listen.to_string() != b.servers[i].listen.to_string() ||
                         a.servers[i].threads != b.servers[i].threads;
    }
    if (servers_differ) p.restart.push_back("[[server]] listen/threads");
    if (a.ratelimit.table_size != b.ratelimit.table_size)
        p.restart.push_back("[ratelimit] table_size");
    const config::NtsConfig &n = a.nts, &m = b.nts;
    if (n.certificate.empty() != m.certificate.empty()) {
        // Turning the NTS server on or off opens or closes listeners (port 4460 needs root).
        p.restart.push_back(m.certificate.empty() ? "[nts] (removed)" : "[nts] (added)");
    } else if (nts_server_stays(a, b)) {
        if (!same_listens(n.ke_listen, m.ke_listen)) p.restart.push_back("[nts] ke_listen");
        if (n.key_file != m.key_file) p.restart.push_back("[nts] key_file");
        if (n.key_rotation_s != m.key_rotation_s) p.applied.push_back("[nts] key_rotation");
        if (n.ntp_server != m.ntp_server) p.applied.push_back("[nts] ntp_server");
        if (n.ntp_port != m.ntp_port) p.applied.push_back("[nts] ntp_port");
        if (facts.certificate_changed) p.applied.push_back("[nts] certificate/private_key");
    }
    if (facts.keyfile_changed) p.applied.push_back("[auth] keyfile");
    return p;
}

config::Config keep_restart_only(const config::Config& running, config::Config next) {
    next.daemon = running.daemon;
    next.clock = running.clock;
    next.local = running.local;
    if (next.servers.size() != running.servers.size()) {
        next.servers = running.servers;  // tables added or removed: the running ones stay
    } else {
        for (std::size_t i = 0; i < next.servers.size(); ++i) {
            next.servers[i].listen = running.servers[i].listen;
            next.servers[i].threads = running.servers[i].threads;
        }
    }
    next.ratelimit.table_size = running.ratelimit.table_size;
    if (!nts_server_stays(running, next)) {
        next.nts = running.nts;  // on <-> off needs a restart; off stays off
    } else {
        next.nts.ke_listen = running.nts.ke_listen;
        next.nts.key_file = running.nts.key_file;
    }
    return next;
}

}  // namespace ntplite::daemon
