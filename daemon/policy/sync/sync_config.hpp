// Pure mapping from the validated config structs ([clock], [[source]]) to the sync core's own
// structs (clock/config.hpp), plus the naming and refid of an upstream address. No IO: the
// daemon resolves names and reads interface addresses, then calls these.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "clock/config.hpp"
#include "config/config.hpp"
#include "config/net.hpp"

namespace ntplite::daemon {

/// One upstream address: an IP (IPv4 stored mapped, see config::IpAddress) and a UDP port.
struct SourceAddress {
    config::IpAddress ip;
    uint16_t port = config::kNtpPort;
    friend bool operator==(const SourceAddress&, const SourceAddress&) = default;
};

/// "192.0.2.1:123" or "[2001:db8::1]:123", for logs and snapshots.
std::string to_string(const SourceAddress& a);

/// The refid a server synchronized to `ip` advertises (RFC 5905 7.3): the IPv4 address, or the
/// first 4 octets of the MD5 of the IPv6 address.
uint32_t refid_of(const config::IpAddress& ip);

/// True for addresses every host shares (127.0.0.0/8, ::1): they cannot tell "our" refid from
/// another local daemon's, so they are left out of time-loop detection.
bool is_loopback(const config::IpAddress& ip);

/// The refids of our own addresses for time-loop detection: every non-loopback address given,
/// deduplicated, in order.
std::vector<uint32_t> own_refids_of(std::span<const config::IpAddress> local_addresses);

/// [clock] and [local] -> the core's EngineConfig. `precision_log2` is the measured clock
/// precision; `own_refids` come from own_refids_of().
clock::EngineConfig engine_config_from(const config::ClockConfig& clock_cfg, int8_t precision_log2,
                                       std::vector<uint32_t> own_refids,
                                       const config::LocalConfig& local = {});

/// One resolved address of a [[source]] table -> the core's SourceConfig (a pool member when the
/// table is a pool).
clock::SourceConfig source_config_from(const config::SourceConfig& src, const SourceAddress& addr);

/// How many addresses a [[source]] table uses at once: max_sources for a pool, 1 for a server.
std::size_t wanted_members(const config::SourceConfig& src);

}  // namespace ntplite::daemon
