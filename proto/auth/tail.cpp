#include "proto/auth/tail.hpp"

#include "proto/wire.hpp"

namespace ntplite::auth {

std::string_view to_string(TailKind k) {
    switch (k) {
        case TailKind::kNone:
            return "none";
        case TailKind::kMac:
            return "mac";
        case TailKind::kCryptoNak:
            return "crypto-nak";
        case TailKind::kExtensions:
            return "extensions";
        case TailKind::kMalformed:
            return "malformed";
    }
    return "?";
}

Tail classify_tail(std::span<const std::byte> datagram, const proto::Packet& packet) {
    Tail t;
    t.ef_bytes = packet.extension_bytes;
    const std::size_t end_of_efs = proto::kHeaderSize + packet.extension_bytes;
    // Defensive: a Packet that does not describe this datagram is treated as malformed.
    if (end_of_efs + packet.mac_bytes != datagram.size()) {
        t.kind = TailKind::kMalformed;
        return t;
    }
    for (std::size_t pos = proto::kHeaderSize; pos + 4 <= end_of_efs;) {
        const uint16_t type = proto::wire::load_be16(datagram, pos);
        const std::size_t len = proto::wire::load_be16(datagram, pos + 2);
        if (type == kEfNtsUniqueIdentifier || type == kEfNtsCookie ||
            type == kEfNtsCookiePlaceholder || type == kEfNtsAuthenticator)
            t.nts = true;
        if (len == 0) break;  // parse() rejects this; never loop forever on a foreign Packet
        pos += len;
    }
    if (packet.mac_bytes == 0) {
        t.kind = packet.extension_bytes > 0 ? TailKind::kExtensions : TailKind::kNone;
        return t;
    }
    const uint32_t key_id = proto::wire::load_be32(datagram, end_of_efs);
    if (packet.mac_bytes == proto::kCryptoNakSize) {
        t.kind = key_id == 0 ? TailKind::kCryptoNak : TailKind::kMalformed;
        return t;
    }
    t.kind = TailKind::kMac;
    t.key_id = key_id;
    t.mac_offset = end_of_efs;
    t.digest_bytes = packet.mac_bytes - kKeyIdBytes;
    return t;
}

}  // namespace ntplite::auth
