// IP addresses, CIDR prefixes and listen endpoints as plain values, parsed from config text.
// Pure: no IO, no allocation except the interface name string.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace ntplite::config {

/// An IPv4 or IPv6 address. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so one 16-byte compare
/// serves both families; `is_v4()` tells them apart, and an IPv4-mapped IPv6 address read from
/// the wire is therefore the same value as the IPv4 address it carries.
struct IpAddress {
    std::array<uint8_t, 16> bytes{};  ///< network byte order

    static IpAddress from_v4(std::array<uint8_t, 4> a);
    static IpAddress from_v6(const std::array<uint8_t, 16>& a) { return IpAddress{a}; }
    /// True for IPv4 (stored as ::ffff:0:0/96).
    bool is_v4() const;
    /// The last 4 bytes (only meaningful when is_v4()).
    std::array<uint8_t, 4> v4() const { return {bytes[12], bytes[13], bytes[14], bytes[15]}; }
    std::string to_string() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

/// Parses "a.b.c.d" or an IPv6 literal (no brackets, no zone). nullopt-like error on anything else.
std::expected<IpAddress, std::string> parse_ip(std::string_view text);

/// A CIDR prefix. `length_bits` counts in the 128-bit mapped space, so "10.0.0.0/8" is stored as
/// length 104 with v4 = true; an IPv6 prefix never matches an IPv4 address and vice versa.
struct CidrPrefix {
    IpAddress network{};      ///< host bits cleared
    uint8_t length_bits = 0;  ///< 0..128 in the mapped space
    bool v4 = false;          ///< family of the prefix as written

    /// True if `addr` is of the same family and its first length_bits bits equal the network's.
    bool contains(const IpAddress& addr) const;
    std::string to_string() const;
    friend bool operator==(const CidrPrefix&, const CidrPrefix&) = default;
};

/// Parses "ADDR/LEN" or a bare "ADDR" (a host prefix: /32 or /128). Rejects host bits set beyond
/// the prefix length (a likely typo). IPv4-mapped IPv6 prefixes (::ffff:a.b.c.d/>=96) become IPv4.
std::expected<CidrPrefix, std::string> parse_cidr(std::string_view text);

inline constexpr uint16_t kNtpPort = 123;
/// Longest text parse_ip() accepts (an IPv6 literal with an embedded IPv4 part is 45 characters).
inline constexpr std::size_t kMaxAddressText = 64;
/// Longest "host:port" text parse_host_port()/parse_listen() accept (253-byte DNS name + port).
inline constexpr std::size_t kMaxHostPortText = 300;

/// Where a server socket listens: a literal address, or every address of a network interface
/// (resolved by the daemon at start-up with getifaddrs).
struct ListenSpec {
    enum class Kind : uint8_t { kAddress, kInterface };
    Kind kind = Kind::kAddress;
    IpAddress address{};    ///< kAddress only
    std::string interface;  ///< kInterface only, e.g. "lo", "eth0"
    uint16_t port = kNtpPort;
    std::string to_string() const;
};

/// Parses "ADDR:PORT", "[V6ADDR]:PORT", "ADDR", "V6ADDR", "IFNAME" or "IFNAME:PORT";
/// the port defaults to 123 and must be 1..65535.
std::expected<ListenSpec, std::string> parse_listen(std::string_view text);

/// A host name or address with a port, for upstream sources: "host", "HOST:PORT", "[V6]:PORT".
struct HostPort {
    std::string host;  ///< name or address literal, without brackets
    uint16_t port = kNtpPort;
};
std::expected<HostPort, std::string> parse_host_port(std::string_view text);

}  // namespace ntplite::config
