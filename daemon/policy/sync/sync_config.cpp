#include "daemon/policy/sync/sync_config.hpp"

#include <algorithm>
#include <cmath>

#include "proto/refid.hpp"

namespace ntplite::daemon {

namespace {
int64_t seconds_to_ns(double s) {
    return static_cast<int64_t>(std::llround(s * 1e9));
}
}  // namespace

std::string to_string(const SourceAddress& a) {
    if (a.ip.is_v4()) return a.ip.to_string() + ":" + std::to_string(a.port);
    return "[" + a.ip.to_string() + "]:" + std::to_string(a.port);
}

uint32_t refid_of(const config::IpAddress& ip) {
    if (ip.is_v4()) return proto::refid_from_ipv4(ip.v4());
    return proto::refid_from_ipv6(ip.bytes);
}

bool is_loopback(const config::IpAddress& ip) {
    if (ip.is_v4()) return ip.v4()[0] == 127;
    static constexpr std::array<uint8_t, 16> kV6Loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                         0, 0, 0, 0, 0, 0, 0, 1};
    return ip.bytes == kV6Loopback;
}

std::vector<uint32_t> own_refids_of(std::span<const config::IpAddress> local_addresses) {
    std::vector<uint32_t> out;
    for (const auto& ip : local_addresses) {
        if (is_loopback(ip)) continue;
        uint32_t r = refid_of(ip);
        if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
    }
    return out;
}

clock::EngineConfig engine_config_from(const config::ClockConfig& c, int8_t precision_log2,
                                       std::vector<uint32_t> own_refids,
                                       const config::LocalConfig& local) {
    clock::EngineConfig e;
    e.local_stratum = local.stratum.value_or(0);
    e.precision_log2 = precision_log2;
    e.selection.min_sane_sources = static_cast<int>(c.min_sources);
    e.selection.own_refids = std::move(own_refids);
    e.discipline.step_threshold_ns = seconds_to_ns(c.step_threshold_s);
    e.discipline.step_limit_updates = c.step_limit;  // -1 (always) maps to the core's "< 0"
    e.discipline.panic_threshold_ns = seconds_to_ns(c.panic_threshold_s);  // 0 = none in both
    // The config says 0 = unlimited; the core says < 0 = no cap.
    e.discipline.max_backward_step_ns =
        c.max_backward_step_s == 0.0 ? -1 : seconds_to_ns(c.max_backward_step_s);
    e.holdover_ns = c.holdover_s < 0.0 ? -1 : seconds_to_ns(c.holdover_s);  // both: < 0 = no limit
    return e;
}

clock::SourceConfig source_config_from(const config::SourceConfig& src, const SourceAddress& addr) {
    clock::SourceConfig s;
    s.name = to_string(addr);
    s.address = addr.ip;
    s.port = addr.port;
    s.address_refid = refid_of(addr.ip);
    s.minpoll_log2 = static_cast<int8_t>(src.minpoll_log2);
    s.maxpoll_log2 = static_cast<int8_t>(src.maxpoll_log2);
    s.iburst = src.iburst;
    s.prefer = src.prefer;
    s.noselect = src.noselect;
    if (src.nts) {
        // The NTS state itself is made at the edge (the key exchange lives there).
        s.auth.kind = auth::AuthKind::kNts;
    } else if (src.key) {
        s.auth.kind = auth::AuthKind::kKey;
        s.auth.key_id = *src.key;
    }
    s.pool_member = src.mode == config::SourceMode::kPool;
    return s;
}

std::size_t wanted_members(const config::SourceConfig& src) {
    return src.mode == config::SourceMode::kPool ? std::max(1u, src.max_sources) : 1;
}

}  // namespace ntplite::daemon
