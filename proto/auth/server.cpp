#include "proto/auth/server.hpp"

#include "proto/wire.hpp"

namespace ntplite::auth {

const char* to_string(RequestAuth r) {
    switch (r) {
        case RequestAuth::kPlain:
            return "plain";
        case RequestAuth::kValidMac:
            return "valid-mac";
        case RequestAuth::kUnknownKey:
            return "unknown-key";
        case RequestAuth::kBadMac:
            return "bad-mac";
        case RequestAuth::kCryptoNak:
            return "crypto-nak";
        case RequestAuth::kMalformed:
            return "malformed";
        case RequestAuth::kUnsupported:
            return "unsupported";
        case RequestAuth::kNts:
            return "nts";
        case RequestAuth::kNtsNak:
            return "nts-nak";
    }
    return "?";
}

ServerAuth::ServerAuth(std::shared_ptr<const KeySet> keys) : keys_(std::move(keys)) {
    if (keys_ && !keys_->empty()) mac_.emplace(*keys_);
}

RequestAuth ServerAuth::check_request(std::span<const std::byte> request,
                                      const proto::Packet& packet, ReplySeal* seal) {
    *seal = ReplySeal{};
    const Tail t = classify_tail(request, packet);
    switch (t.kind) {
        case TailKind::kNone:
            return RequestAuth::kPlain;
        case TailKind::kCryptoNak:
            return RequestAuth::kCryptoNak;
        case TailKind::kMalformed:
            return RequestAuth::kMalformed;
        case TailKind::kExtensions: {
            if (!t.nts || !nts_) return RequestAuth::kUnsupported;
            std::size_t bytes = 0;
            const auto v = nts_->check(request, proto::kMaxPacketSize, &seal->nts_slot, &bytes);
            if (v == NtsRequestHandler::Verdict::kNotNts) return RequestAuth::kUnsupported;
            if (v == NtsRequestHandler::Verdict::kMalformed || bytes < proto::kHeaderSize)
                return RequestAuth::kMalformed;
            const bool nak = v == NtsRequestHandler::Verdict::kNak;
            seal->kind = AuthKind::kNts;
            seal->nts_bytes = static_cast<uint16_t>(bytes - proto::kHeaderSize);
            return nak ? RequestAuth::kNtsNak : RequestAuth::kNts;
        }
        case TailKind::kMac:
            break;
    }
    // A MAC after extension fields would authenticate fields we do not understand; the reply
    // could not echo them. Not a combination any client sends us today.
    if (t.ef_bytes > 0) return RequestAuth::kUnsupported;
    if (!mac_) return RequestAuth::kUnknownKey;
    const auto index = mac_->index_of(t.key_id);
    if (!index) return RequestAuth::kUnknownKey;
    // The digest length must be the key type's: a SHA1 key never checks a 16-byte digest.
    if (!mac_->verify(*index, request.first(t.mac_offset),
                      request.subspan(t.mac_offset + kKeyIdBytes)))
        return RequestAuth::kBadMac;
    seal->kind = AuthKind::kKey;
    seal->key_id = t.key_id;
    seal->key_index = static_cast<uint32_t>(*index);
    return RequestAuth::kValidMac;
}

std::size_t ServerAuth::seal_bytes(const ReplySeal& seal) const {
    if (seal.kind == AuthKind::kNts) return seal.nts_bytes;
    if (seal.kind != AuthKind::kKey || !mac_ || seal.key_index >= mac_->keys().size()) return 0;
    return kKeyIdBytes + digest_bytes(mac_->keys().keys()[seal.key_index].type);
}

std::size_t ServerAuth::seal_reply(const ReplySeal& seal, std::span<std::byte> out,
                                   std::size_t size) {
    if (seal.kind == AuthKind::kNone) return size;
    if (seal.kind == AuthKind::kNts) {
        // The NTS fields follow the 48-byte header (no MAC, nothing else).
        if (!nts_ || size != proto::kHeaderSize) return 0;
        const std::size_t n = nts_->seal(seal.nts_slot, out);
        return n == size + seal.nts_bytes ? n : 0;
    }
    const std::size_t extra = seal_bytes(seal);
    if (extra == 0 || size > out.size() || out.size() - size < extra) return 0;
    proto::wire::store_be32(out, size, seal.key_id);
    const std::size_t n =
        mac_->compute(seal.key_index, out.first(size), out.subspan(size + kKeyIdBytes));
    if (n + kKeyIdBytes != extra) return 0;
    return size + extra;
}

}  // namespace ntplite::auth
