// NTP packet codec: see packet.hpp for the trailer (extension field / MAC) rule.
#include "proto/packet.hpp"

#include "proto/wire.hpp"

namespace ntplite::proto {

using wire::load_be16;
using wire::load_be32;
using wire::load_be64;

std::string_view to_string(LeapIndicator l) {
    switch (l) {
        case LeapIndicator::kNone:
            return "none";
        case LeapIndicator::kInsertSecond:
            return "insert";
        case LeapIndicator::kDeleteSecond:
            return "delete";
        case LeapIndicator::kUnsynchronized:
            return "unsynchronized";
    }
    return "?";
}

std::string_view to_string(ParseError e) {
    switch (e) {
        case ParseError::kTooShort:
            return "too-short";
        case ParseError::kTooLong:
            return "too-long";
        case ParseError::kBadVersion:
            return "bad-version";
        case ParseError::kBadLength:
            return "bad-length";
        case ParseError::kTruncatedExtension:
            return "truncated-extension";
        case ParseError::kBadExtensionLength:
            return "bad-extension-length";
        case ParseError::kControlMode:
            return "control-mode";
    }
    return "unknown";
}

namespace {

bool is_mac_size(std::size_t n) {
    return n == kMacMd5Size || n == kMacSha1Size;
}

// Walks the bytes after the header. On success fills the two trailer lengths of `p`.
std::expected<void, ParseError> parse_trailer(std::span<const std::byte> trailer, Packet& p) {
    if (trailer.size() == kCryptoNakSize || is_mac_size(trailer.size())) {
        p.mac_bytes = static_cast<uint16_t>(trailer.size());
        return {};
    }
    std::size_t pos = 0;
    while (pos < trailer.size()) {
        std::size_t remaining = trailer.size() - pos;
        if (is_mac_size(remaining)) {
            p.mac_bytes = static_cast<uint16_t>(remaining);
            break;
        }
        // Fewer than 4 bytes cannot even hold an extension field header.
        if (remaining < 4) return std::unexpected(ParseError::kBadLength);
        std::size_t field_len = load_be16(trailer, pos + 2);
        if (field_len < kMinExtensionSize || field_len % 4 != 0) {
            return std::unexpected(ParseError::kBadExtensionLength);
        }
        if (field_len > remaining) return std::unexpected(ParseError::kTruncatedExtension);
        pos += field_len;
    }
    // pos <= kMaxPacketSize - kHeaderSize, so it fits.
    p.extension_bytes = static_cast<uint16_t>(pos);
    return {};
}

}  // namespace

std::expected<Packet, ParseError> parse(std::span<const std::byte> datagram) {
    if (datagram.empty()) return std::unexpected(ParseError::kTooShort);
    const uint8_t b0 = std::to_integer<uint8_t>(datagram[0]);
    const auto mode = static_cast<Mode>(b0 & 0x7);
    // Control/private messages have their own (shorter) layout: classify them before length checks.
    if (mode == Mode::kControl || mode == Mode::kPrivate)
        return std::unexpected(ParseError::kControlMode);
    if (datagram.size() < kHeaderSize) return std::unexpected(ParseError::kTooShort);
    if (datagram.size() > kMaxPacketSize) return std::unexpected(ParseError::kTooLong);

    Packet p;
    p.leap = static_cast<LeapIndicator>(b0 >> 6);
    p.version = static_cast<uint8_t>((b0 >> 3) & 0x7);
    if (p.version < 1 || p.version > 4) return std::unexpected(ParseError::kBadVersion);
    p.mode = mode;
    p.stratum = std::to_integer<uint8_t>(datagram[1]);
    p.poll_log2 = static_cast<int8_t>(std::to_integer<uint8_t>(datagram[2]));
    p.precision_log2 = static_cast<int8_t>(std::to_integer<uint8_t>(datagram[3]));
    p.root_delay = NtpShort{load_be32(datagram, 4)};
    p.root_dispersion = NtpShort{load_be32(datagram, 8)};
    p.refid = load_be32(datagram, 12);
    p.reference = NtpTimestamp{load_be64(datagram, 16)};
    p.origin = NtpTimestamp{load_be64(datagram, 24)};
    p.receive = NtpTimestamp{load_be64(datagram, 32)};
    p.transmit = NtpTimestamp{load_be64(datagram, 40)};

    if (auto ok = parse_trailer(datagram.subspan(kHeaderSize), p); !ok) {
        return std::unexpected(ok.error());
    }
    return p;
}

std::size_t serialize(const Packet& p, std::span<std::byte> out) {
    if (out.size() < kHeaderSize) return 0;
    const auto b0 =
        static_cast<uint8_t>((static_cast<uint8_t>(p.leap) & 0x3) << 6 | (p.version & 0x7) << 3 |
                             (static_cast<uint8_t>(p.mode) & 0x7));
    out[0] = static_cast<std::byte>(b0);
    out[1] = static_cast<std::byte>(p.stratum);
    out[2] = static_cast<std::byte>(static_cast<uint8_t>(p.poll_log2));
    out[3] = static_cast<std::byte>(static_cast<uint8_t>(p.precision_log2));
    wire::store_be32(out, 4, p.root_delay.raw);
    wire::store_be32(out, 8, p.root_dispersion.raw);
    wire::store_be32(out, 12, p.refid);
    wire::store_be64(out, 16, p.reference.raw);
    wire::store_be64(out, 24, p.origin.raw);
    wire::store_be64(out, 32, p.receive.raw);
    wire::store_be64(out, 40, p.transmit.raw);
    return kHeaderSize;
}

void patch_transmit(std::span<std::byte> out, NtpTimestamp transmit) {
    if (out.size() < kHeaderSize) return;  // contract violation: do nothing rather than overrun
    wire::store_be64(out, 40, transmit.raw);
}

}  // namespace ntplite::proto
