// Parsing of the HOST[:PORT] argument of ntpq-lite commands. Pure: no resolving, no IO.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace ntplite::tools {

/// The standard NTP port, used when the argument names none.
inline constexpr uint16_t kDefaultNtpPort = 123;

/// A server as the user wrote it: a name or an address literal, and a UDP port.
struct HostPort {
    std::string host;  ///< name, IPv4 literal or IPv6 literal (without brackets)
    uint16_t port = kDefaultNtpPort;
    bool is_ipv6_literal = false;  ///< host is an IPv6 address (was bracketed or had colons)

    friend bool operator==(const HostPort&, const HostPort&) = default;
};

/// Accepts "name", "name:port", "1.2.3.4", "1.2.3.4:port", "[v6]", "[v6]:port" and a bare IPv6
/// literal "::1" (no port possible then). An IPv6 literal may carry a zone ("fe80::1%eth0").
/// Ports are decimal 1..65535. On error returns a one-line message saying what is wrong.
std::expected<HostPort, std::string> parse_host_port(std::string_view text,
                                                     uint16_t default_port = kDefaultNtpPort);

/// "host:port", or "[v6]:port" for IPv6 literals: how a server prints in messages.
std::string to_string(const HostPort& hp);

}  // namespace ntplite::tools
