#include "tools/loadgen/nts_request.hpp"

#include <cstring>

#include "proto/wire.hpp"

namespace ntplite::tools::loadgen {
namespace pn = proto::nts;
NtsRequestCodec::NtsRequestCodec(const NtsCredentials& creds, unsigned placeholders,
                                 std::span<const std::byte, kNtsUidSaltBytes> salt)
    : keys_(creds.keys), cookies_(creds.cookies) {
    std::memcpy(salt_.data(), salt.data(), salt_.size());
    if (!aead_.ok() || keys_.key_size() == 0 || cookies_.empty()) return;
    const std::size_t csize = cookies_[0].size();
    if (csize == 0 || csize > pn::kKeMaxCookieSize) return;
    for (const auto& c : cookies_)
        if (c.size() != csize) return;
    if (placeholders > pn::kMaxPlaceholders) return;

    // Layout once; build() only rewrites the tag, unique id, cookie, nonce and SIV tag.
    template_.assign(1024, std::byte{0});
    std::span<std::byte> out(template_);
    std::array<std::byte, pn::kUniqueIdSize> uid{};
    uid_offset_ = pn::kNtpHeaderSize + 4;
    auto at = pn::write_field(out, pn::kNtpHeaderSize, pn::kEfUniqueId, uid);
    cookie_offset_ = at ? *at + 4 : 0;
    if (at) at = pn::write_field(out, *at, pn::kEfCookie, cookies_[0]);
    for (unsigned i = 0; at && i < placeholders; ++i)
        at = pn::write_field(out, *at, pn::kEfCookiePlaceholder, {}, csize);
    if (!at) return;
    auth_offset_ = *at;
    std::array<std::byte, pn::kNonceSize> nonce{};
    const auto slot = pn::write_authenticator(out, *at, nonce, pn::kSivTagSize);
    if (!slot) return;
    nonce_offset_ = auth_offset_ + 8;  // field header (4) + nonce and ciphertext lengths (4)
    tag_offset_ = slot->ciphertext_offset;
    size_ = slot->end;
    template_.resize(size_);
    ok_ = true;
}

void NtsRequestCodec::unique_id(uint64_t tag, std::span<std::byte, pn::kUniqueIdSize> out) const {
    proto::wire::store_be64(out, 0, tag);
    std::memcpy(out.data() + 8, salt_.data(), salt_.size());
}

bool NtsRequestCodec::build(uint8_t version, uint64_t tag, uint32_t sequence,
                            std::span<std::byte> out) {
    if (!ok_ || out.size() < size_) return false;
    std::memcpy(out.data(), template_.data(), size_);
    out[0] = std::byte(static_cast<unsigned>((version & 7u) << 3 | 3u));
    proto::wire::store_be64(out, 40, tag);
    unique_id(tag, out.subspan(uid_offset_).first<pn::kUniqueIdSize>());
    if (cookies_.size() > 1) {
        const auto& c = cookies_[sequence % cookies_.size()];
        std::memcpy(out.data() + cookie_offset_, c.data(), c.size());
    }
    // Nonce: the tag and part of the salt (distinct per request; SIV needs no secret nonce).
    auto nonce = out.subspan(nonce_offset_, pn::kNonceSize);
    proto::wire::store_be64(nonce, 0, tag);
    std::memcpy(nonce.data() + 8, salt_.data(), pn::kNonceSize - 8);
    return aead_.seal(keys_.aead, keys_.c2s_key(), out.first(auth_offset_), nonce, {},
                      out.subspan(tag_offset_, pn::kSivTagSize));
}

NtsReplyKind NtsRequestCodec::check(std::span<const std::byte> reply, uint64_t tag, bool verify) {
    std::array<std::byte, pn::kUniqueIdSize> want{};
    unique_id(tag, want);
    const auto uid = pn::find_unique_id(reply);
    if (uid.size() != want.size() || std::memcmp(uid.data(), want.data(), want.size()) != 0)
        return NtsReplyKind::kBadUniqueId;
    if (pn::is_nts_nak(reply)) return NtsReplyKind::kNak;  // unauthenticated by design
    const auto fields = pn::parse_nts_fields(reply, false);
    if (!fields) return NtsReplyKind::kMalformed;
    if (!verify) return NtsReplyKind::kUnverified;
    const auto sealed = fields->auth.ciphertext;
    if (sealed.size() < pn::kSivTagSize || sealed.size() - pn::kSivTagSize > plain_.size())
        return NtsReplyKind::kMalformed;
    const std::size_t plain_size = sealed.size() - pn::kSivTagSize;
    if (!aead_.open(keys_.aead, keys_.s2c_key(), reply.first(fields->authenticated_size),
                    fields->auth.nonce, sealed, std::span(plain_).first(plain_size)))
        return NtsReplyKind::kBadAuth;
    return NtsReplyKind::kAuthenticated;
}

}  // namespace ntplite::tools::loadgen
