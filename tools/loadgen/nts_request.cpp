#include "tools/loadgen/nts_request.hpp"

#include <cstring>

namespace ntplite::tools::loadgen {
namespace pn = proto::nts;
namespace {

void put_be64(std::byte* p, uint64_t v) {
    for (int i = 7; i >= 0; --i) {
        p[i] = std::byte(v & 0xFFu);
        v >>= 8;
    }
}

}  // namespace

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
    put_be64(out.data(), tag);
    std::memcpy(out.data() + 8, salt_.data(), salt_.size());
}

bool NtsRequestCodec::build(uint8_t version, uint64_t tag, uint32_t sequence,
                            std::span<std::byte> out) {
    if (!ok_ || out.size() < size_) return false;
    std::memcpy(out.data(), template_.data(), size_);
    out[0] = std::byte(static_cast<unsigned>((version & 7u) << 3 | 3u));
    put_be64(out.data() + 40, tag);
    unique_id(tag, out.subspan(uid_offset_).first<pn::kUniqueIdSize>());
    if (cookies_.size() > 1) {
        const auto& c = cookies_[sequence % cookies_.size()];
        std::memcpy(out.data() + cookie_offset_, c.data(), c.size());
    }
    // Nonce: the tag and part of the salt (distinct per request; SIV needs no secret nonce).
    auto nonce = out.subspan(nonce_offset_, pn::kNonceSize);
    put_be64(nonce.data(), tag);
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
    // Stratum 0 with kiss code "NTSN": an NTS NAK (RFC 8915 5.7), unauthenticated by design.
    if (reply.size() >= pn::kNtpHeaderSize && std::to_integer<unsigned>(reply[1]) == 0) {
        uint32_t refid = 0;
        for (int i = 0; i < 4; ++i) refid = refid << 8 | std::to_integer<uint32_t>(reply[12 + i]);
        if (refid == pn::kKissNtsNak) return NtsReplyKind::kNak;
    }
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
