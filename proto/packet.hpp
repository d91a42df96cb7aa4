// NTPv4 packet header (RFC 5905 section 7.3): parse from bytes, serialize into a caller's buffer.
// Pure: no IO, no allocation, never throws, never reads outside the given span.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

#include "proto/timestamp.hpp"

namespace ntplite::proto {

inline constexpr std::size_t kHeaderSize = 48;
/// Largest datagram we ever accept or build (header + extension fields + MAC): 1280 (the IPv6
/// minimum MTU) less the IPv6 and UDP headers, so an NTS request with cookie placeholders is never
/// fragmented.
inline constexpr std::size_t kMaxPacketSize = 1232;

enum class LeapIndicator : uint8_t {
    kNone = 0,
    kInsertSecond = 1,
    kDeleteSecond = 2,
    kUnsynchronized = 3
};

enum class Mode : uint8_t {
    kReserved = 0,
    kSymmetricActive = 1,
    kSymmetricPassive = 2,
    kClient = 3,
    kServer = 4,
    kBroadcast = 5,
    kControl = 6,
    kPrivate = 7,
};

/// Why a datagram is not a well-formed NTP packet. Each value names one rule.
enum class ParseError : uint8_t {
    kTooShort,            ///< fewer than 48 bytes
    kTooLong,             ///< more than kMaxPacketSize bytes
    kBadVersion,          ///< VN not in 1..4
    kBadLength,           ///< bytes after the header are neither extension fields nor a MAC
    kTruncatedExtension,  ///< an extension field's length runs past the end of the datagram
    kBadExtensionLength,  ///< extension field length < 16 or not a multiple of 4
    kControlMode,         ///< mode 6/7: not an NTP time packet (parsed by the control codec)
};
std::string_view to_string(ParseError e);
/// "none", "insert", "delete" or "unsynchronized".
std::string_view to_string(LeapIndicator l);

/// The 48-byte header plus where the optional trailing parts are. Timestamps are as on the wire.
struct Packet {
    LeapIndicator leap = LeapIndicator::kNone;
    uint8_t version = 4;  ///< 1..4
    Mode mode = Mode::kClient;
    uint8_t stratum = 0;         ///< 0 = unspecified / KoD, 1 = primary, 2..15, 16 = unsynchronized
    int8_t poll_log2 = 0;        ///< log2 seconds
    int8_t precision_log2 = 0;   ///< log2 seconds, e.g. -20 ~ 1 us
    NtpShort root_delay{};       ///< total round-trip delay to the reference clock
    NtpShort root_dispersion{};  ///< total dispersion to the reference clock
    uint32_t refid = 0;          ///< host byte order; ASCII codes read MSB first
    NtpTimestamp reference{};    ///< time the server's clock was last set or corrected
    NtpTimestamp origin{};       ///< T1 as echoed by the server (client's transmit)
    NtpTimestamp receive{};      ///< T2: server receive time
    NtpTimestamp transmit{};     ///< T3: server transmit time
    uint16_t extension_bytes = 0;  ///< total length of RFC 7822 extension fields after the header
    uint16_t mac_bytes = 0;        ///< trailing MAC: 0, 20 or 24 (keyid + digest), 4 = crypto-NAK

    friend bool operator==(const Packet&, const Packet&) = default;
};

/// Trailing MAC sizes recognised after the header / extension fields (RFC 5905 7.3, RFC 7822).
inline constexpr std::size_t kCryptoNakSize = 4;  ///< legacy crypto-NAK: key id only
inline constexpr std::size_t kMacMd5Size = 20;    ///< key id + 16-byte digest
inline constexpr std::size_t kMacSha1Size = 24;   ///< key id + 20-byte digest
/// RFC 7822: an extension field is at least 16 bytes (4-byte header + 12 value) and a multiple
/// of 4.
inline constexpr std::size_t kMinExtensionSize = 16;

/// Parse one datagram. Extension fields and a trailing MAC are length-checked and skipped
/// (kept opaque). Mode 6/7 datagrams are reported as kControlMode whatever their length (mode is
/// read from the first byte before any length check, so a 12-byte mode 6 request is counted).
///
/// Trailer rule (RFC 7822 section 7.5): after the header, a remainder of exactly 4 bytes is a
/// legacy crypto-NAK and exactly 20 or 24 bytes is a MAC. Otherwise extension fields are read one
/// by one until the remainder is 0 (no MAC) or exactly 20/24 (a MAC follows). An extension field
/// of 20 or 24 bytes that ends the datagram is therefore read as a MAC, which is why RFC 7822
/// requires a final extension field without MAC to be at least 28 bytes.
std::expected<Packet, ParseError> parse(std::span<const std::byte> datagram);

/// Write the 48-byte header of `p` into `out`. Returns the bytes written (48), or 0 if `out` is
/// smaller than kHeaderSize. Extension fields/MAC are not written (they are opaque here).
/// Only the low 3 bits of `version` are encoded (a version > 7 cannot be represented).
std::size_t serialize(const Packet& p, std::span<std::byte> out);

/// Overwrite only the transmit timestamp (bytes 40..47) of an already serialized header, so the
/// server can take T3 as late as possible. `out` must hold at least 48 bytes.
void patch_transmit(std::span<std::byte> out, NtpTimestamp transmit);

}  // namespace ntplite::proto
