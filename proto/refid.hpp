// Reference identifiers and Kiss-o'-Death codes (RFC 5905 sections 7.3 and 7.4).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/packet.hpp"

namespace ntplite::proto {

/// Kiss codes a client must act on, plus kOther for any other 4-letter code.
enum class KissCode : uint8_t {
    kRate,
    kDeny,
    kRstr,
    kInit,
    kStep,
    kAuth,
    kAuto,
    kBcst,
    kCryp,
    kDrop,
    kMcst,
    kNkey,
    kNtsn,
    kOther
};

/// Build a refid from 4 ASCII characters ("RATE", "LOCL", "GPS"); shorter codes are NUL padded.
constexpr uint32_t refid_from_ascii(std::string_view code) {
    uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
        v = (v << 8) | (i < code.size() ? static_cast<uint8_t>(code[i]) : 0u);
    return v;
}
/// Refid for an IPv4 upstream: the address in host byte order (a.b.c.d -> a<<24|b<<16|c<<8|d).
constexpr uint32_t refid_from_ipv4(std::array<uint8_t, 4> a) {
    return uint32_t{a[0]} << 24 | uint32_t{a[1]} << 16 | uint32_t{a[2]} << 8 | a[3];
}
/// Refid for an IPv6 upstream: first 4 octets of the MD5 hash of the address (RFC 5905 7.3).
uint32_t refid_from_ipv6(const std::array<uint8_t, 16>& addr);

/// True if the packet is a Kiss-o'-Death (stratum 0 in a server/symmetric reply).
bool is_kod(const Packet& p);
/// The kiss code of a KoD packet, nullopt if `p` is not a KoD.
std::optional<KissCode> kiss_code(const Packet& p);
/// The 4-letter code of a kiss ("RATE", "DENY", ...); "OTHER" for KissCode::kOther.
std::string_view kiss_name(KissCode code);
/// "RATE" -> "RATE (rate exceeded, reduce poll)", for people.
std::string describe_kiss(uint32_t refid);

/// How a refid prints for people: stratum 0/1 as ".CODE." ASCII, stratum >= 2 as dotted quad
/// (which for IPv6 upstreams is the hash, as ntpq prints it).
std::string format_refid(uint32_t refid, uint8_t stratum);

}  // namespace ntplite::proto
