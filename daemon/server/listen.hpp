// Turning a configured listen spec into concrete socket addresses (interfaces via getifaddrs),
// and converting between socket addresses and config::IpAddress.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "config/net.hpp"

namespace ntplite::daemon {

/// One address a server socket binds to.
struct Endpoint {
    config::IpAddress address;
    uint16_t port = config::kNtpPort;
    uint32_t scope_id = 0;  ///< IPv6 link-local interface index, else 0

    /// Fills `out` (AF_INET for IPv4, AF_INET6 otherwise) and returns its length.
    socklen_t to_sockaddr(sockaddr_storage& out) const;
    /// "127.0.0.1:123", "[::1]:123", "[fe80::1%2]:123".
    std::string to_string() const;
};

/// The address carried by a received AF_INET/AF_INET6 socket address (IPv4-mapped IPv6 becomes
/// IPv4). Anything else gives the all-zero IPv6 address.
config::IpAddress ip_from_sockaddr(const sockaddr_storage& sa);

/// A literal address gives itself; an interface name gives each of its IPv4 and IPv6 addresses
/// (in getifaddrs order). Error if the interface does not exist or has no address.
std::expected<std::vector<Endpoint>, std::string> resolve_listen(const config::ListenSpec& spec);

}  // namespace ntplite::daemon
