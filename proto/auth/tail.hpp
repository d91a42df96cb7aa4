// What follows the 48-byte header of an NTP packet, as far as authentication is concerned:
// nothing, a symmetric-key MAC (RFC 5905 7.3 / RFC 8573), a legacy crypto-NAK, or RFC 7822
// extension fields (NTS, RFC 8915, among them). Pure and allocation-free: the server calls it for
// every request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "proto/packet.hpp"

namespace ntplite::auth {

/// RFC 8915 extension field types (section 5.7).
inline constexpr uint16_t kEfNtsUniqueIdentifier = 0x0104;
inline constexpr uint16_t kEfNtsCookie = 0x0204;
inline constexpr uint16_t kEfNtsCookiePlaceholder = 0x0304;
inline constexpr uint16_t kEfNtsAuthenticator = 0x0404;

/// Bytes of the key identifier that starts every MAC.
inline constexpr std::size_t kKeyIdBytes = 4;

enum class TailKind : uint8_t {
    kNone,        ///< a bare 48-byte header
    kMac,         ///< a MAC (key id + 16 or 20 byte digest), possibly after extension fields
    kCryptoNak,   ///< 4 bytes, key id 0 (RFC 5905 7.4): "your MAC failed"
    kExtensions,  ///< extension fields and no MAC
    kMalformed,   ///< a 4-byte trailer with a non-zero key id (parse() accepted the length)
};
/// "none", "mac", "crypto-nak", "extensions", "malformed".
std::string_view to_string(TailKind k);

/// Where the authentication data of one datagram is (offsets from the start of the datagram).
struct Tail {
    TailKind kind = TailKind::kNone;
    uint32_t key_id = 0;           ///< kMac: the key identifier (host order)
    std::size_t mac_offset = 0;    ///< kMac: start of the key id = end of the MAC'd data
    std::size_t digest_bytes = 0;  ///< kMac: 16 or 20
    std::size_t ef_bytes = 0;      ///< extension fields right after the header (any kind)
    bool nts = false;              ///< one of the extension fields is an NTS (RFC 8915) one
};

/// Classifies the trailer of `datagram`, which proto::parse() accepted as `packet` (so its
/// extension field and MAC lengths are already checked and in bounds).
Tail classify_tail(std::span<const std::byte> datagram, const proto::Packet& packet);

}  // namespace ntplite::auth
