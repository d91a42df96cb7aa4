#include "proto/nts/crypto/nts_packet.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

namespace ntplite::proto::nts {
namespace {

bool random_bytes(std::span<std::byte> out) {
    return RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) ==
           1;
}

uint32_t refid_of(std::span<const std::byte> packet) {
    uint32_t v = 0;
    for (int i = 12; i < 16; ++i) v = (v << 8) | std::to_integer<uint32_t>(packet[i]);
    return v;
}

}  // namespace

bool is_nts_nak(std::span<const std::byte> reply) {
    return reply.size() >= kNtpHeaderSize && std::to_integer<unsigned>(reply[1]) == 0 &&
           refid_of(reply) == kKissNtsNak;
}

bool NonceSource::fill(std::span<std::byte> out) {
    if (out.size() > kBatch) return false;
    if (kBatch - used_ < out.size()) {
        if (!random_bytes(batch_)) return false;
        used_ = 0;
    }
    std::memcpy(out.data(), batch_.data() + used_, out.size());
    std::memset(batch_.data() + used_, 0, out.size());
    used_ += out.size();
    return true;
}

std::string_view to_string(ServerVerdict v) {
    switch (v) {
        case ServerVerdict::kNotNts:
            return "not NTS";
        case ServerVerdict::kAuthenticated:
            return "authenticated";
        case ServerVerdict::kNak:
            return "unknown cookie";
        case ServerVerdict::kBadAuthenticator:
            return "bad authenticator";
        case ServerVerdict::kMalformed:
            return "malformed";
    }
    return "?";
}

std::string_view to_string(ClientVerdict v) {
    switch (v) {
        case ClientVerdict::kAuthenticated:
            return "authenticated";
        case ClientVerdict::kNak:
            return "NTS NAK";
        case ClientVerdict::kNotExpected:
            return "unexpected unique id";
        case ClientVerdict::kBadAuth:
            return "authentication failed";
        case ClientVerdict::kMalformed:
            return "malformed";
    }
    return "?";
}

std::array<std::byte, 5> exporter_context(uint16_t aead_id, bool server_to_client) {
    return {std::byte{0}, std::byte{0}, std::byte(aead_id >> 8), std::byte(aead_id & 0xFF),
            std::byte(server_to_client ? 1 : 0)};
}

ServerVerdict NtsServer::check(const KeyRing& ring, std::span<const std::byte> request,
                               ServerRequest& out) {
    const auto fields = parse_nts_fields(request, true);
    if (!fields)
        return fields.error() == NtsFieldError::kNoFields ? ServerVerdict::kNotNts
                                                          : ServerVerdict::kMalformed;
    auto keys = open_cookie(aead_, ring, fields->cookie);
    if (!keys) return ServerVerdict::kNak;
    const auto sealed = fields->auth.ciphertext;
    if (sealed.size() - kSivTagSize > plain_.size()) return ServerVerdict::kMalformed;
    if (!aead_.open(keys->aead, keys->c2s_key(), request.first(fields->authenticated_size),
                    fields->auth.nonce, sealed,
                    std::span(plain_).first(sealed.size() - kSivTagSize)))
        return ServerVerdict::kBadAuthenticator;
    out.keys = *keys;
    out.unique_id = fields->unique_id;
    out.cookies_wanted = std::min(1 + fields->placeholders, kKeMaxCookies);
    out.request_size = request.size();
    return ServerVerdict::kAuthenticated;
}

namespace {

// Cookies that fit a reply no larger than the request (no amplification, RFC 8915 5.7) nor the
// buffer, and the reply's size with them.
std::pair<std::size_t, std::size_t> plan_reply(const ServerRequest& req, std::size_t out_size) {
    const std::size_t at = kNtpHeaderSize + field_size(req.unique_id.size());
    const std::size_t csize = cookie_size(req.keys.key_size());
    auto reply_size = [&](std::size_t cookies) {
        return at + authenticator_size(kNonceSize, kSivTagSize + cookies * field_size(csize));
    };
    std::size_t n = req.cookies_wanted;
    while (n > 0 && reply_size(n) > std::min(req.request_size, out_size)) --n;
    return {n, reply_size(n)};
}

}  // namespace

std::size_t NtsServer::planned_reply_size(const ServerRequest& req, std::size_t out_size) {
    const auto [n, size] = plan_reply(req, out_size);
    return size <= out_size ? size : 0;
}

std::size_t NtsServer::planned_nak_size(std::span<const std::byte> request) {
    const auto uid = find_unique_id(request);
    return uid.empty() ? 0 : kNtpHeaderSize + field_size(uid.size());
}

std::size_t NtsServer::write_reply(const KeyRing& ring, const ServerRequest& req,
                                   std::span<std::byte> out) {
    const auto [n, size] = plan_reply(req, out.size());
    if (size > out.size()) return 0;
    auto at = write_field(out, kNtpHeaderSize, kEfUniqueId, req.unique_id);
    if (!at) return 0;

    std::size_t plain_size = 0;
    std::array<std::byte, kMaxOurCookieSize> cookie{};
    std::array<std::byte, kCookieNonceSize> nonce{};
    for (std::size_t i = 0; i < n; ++i) {
        if (!nonces_.fill(nonce)) return 0;
        const std::size_t c = make_cookie(aead_, ring, nonce, req.keys, cookie);
        if (c == 0) return 0;
        const auto end = write_field(plain_, plain_size, kEfCookie, std::span(cookie).first(c));
        if (!end) return 0;
        plain_size = *end;
    }
    std::array<std::byte, kNonceSize> auth_nonce{};
    if (!nonces_.fill(auth_nonce)) return 0;
    const auto slot = write_authenticator(out, *at, auth_nonce, kSivTagSize + plain_size);
    if (!slot) return 0;
    const bool ok =
        aead_.seal(req.keys.aead, req.keys.s2c_key(), std::span<const std::byte>(out).first(*at),
                   auth_nonce, std::span(plain_).first(plain_size),
                   out.subspan(slot->ciphertext_offset, kSivTagSize + plain_size));
    return ok ? slot->end : 0;
}

std::size_t NtsServer::write_nak(std::span<const std::byte> request, std::span<std::byte> out) {
    const auto uid = find_unique_id(request);
    if (uid.empty() || out.size() < kNtpHeaderSize) return 0;
    out[1] = std::byte{0};  // stratum 0: a kiss-o'-death
    for (int i = 0; i < 4; ++i) out[12 + i] = std::byte((kKissNtsNak >> (24 - 8 * i)) & 0xFF);
    const auto end = write_field(out, kNtpHeaderSize, kEfUniqueId, uid);
    return end ? *end : 0;
}

bool CookiePool::push(std::span<const std::byte> c) {
    if (count_ == kKeMaxCookies || c.empty() || c.size() > kKeMaxCookieSize) return false;
    const std::size_t slot = (head_ + count_) % kKeMaxCookies;
    std::memcpy(cookies_[slot].data(), c.data(), c.size());
    sizes_[slot] = uint16_t(c.size());
    ++count_;
    return true;
}

std::size_t CookiePool::pop(std::span<std::byte, kKeMaxCookieSize> out) {
    if (count_ == 0) return 0;
    const std::size_t size = sizes_[head_];
    std::memcpy(out.data(), cookies_[head_].data(), size);
    head_ = (head_ + 1) % kKeMaxCookies;
    --count_;
    return size;
}

std::size_t NtsClientSession::write_request(AesSiv& aead, std::span<std::byte> out) {
    std::array<std::byte, kKeMaxCookieSize> cookie{};
    const std::size_t csize = pool_.pop(cookie);
    if (csize == 0 || keys_.key_size() == 0) return 0;
    if (!random_bytes(unique_id_)) return 0;
    auto at = write_field(out, kNtpHeaderSize, kEfUniqueId, unique_id_);
    if (at) at = write_field(out, *at, kEfCookie, std::span(cookie).first(csize));
    // Ask for as many cookies as refill the pool (each placeholder as large as a cookie).
    const std::size_t placeholders = kKeMaxCookies - 1 - pool_.size();
    for (std::size_t i = 0; at && i < placeholders; ++i)
        at = write_field(out, *at, kEfCookiePlaceholder, {}, csize);
    if (!at) return 0;
    std::array<std::byte, kNonceSize> nonce{};
    if (!random_bytes(nonce)) return 0;
    const auto slot = write_authenticator(out, *at, nonce, kSivTagSize);
    if (!slot) return 0;
    if (!aead.seal(keys_.aead, keys_.c2s_key(), std::span<const std::byte>(out).first(*at), nonce,
                   {}, out.subspan(slot->ciphertext_offset, kSivTagSize)))
        return 0;
    pending_ = true;
    return slot->end;
}

ClientVerdict NtsClientSession::check_reply(AesSiv& aead, std::span<const std::byte> reply) {
    if (!pending_ || reply.size() < kNtpHeaderSize) return ClientVerdict::kNotExpected;
    const auto uid = find_unique_id(reply);
    if (uid.size() != unique_id_.size() ||
        CRYPTO_memcmp(uid.data(), unique_id_.data(), uid.size()) != 0)
        return ClientVerdict::kNotExpected;
    if (is_nts_nak(reply)) {
        pending_ = false;
        return ClientVerdict::kNak;
    }
    const auto fields = parse_nts_fields(reply, false);
    if (!fields) return ClientVerdict::kMalformed;
    const auto sealed = fields->auth.ciphertext;
    const std::size_t plain_size = sealed.size() - kSivTagSize;
    if (plain_size > plain_.size()) return ClientVerdict::kMalformed;
    // A failed check leaves the request pending: a forgery must not cancel the real reply.
    if (!aead.open(keys_.aead, keys_.s2c_key(), reply.first(fields->authenticated_size),
                   fields->auth.nonce, sealed, std::span(plain_).first(plain_size)))
        return ClientVerdict::kBadAuth;
    pending_ = false;
    ExtensionReader inner(std::span<const std::byte>(plain_).first(plain_size), 0);
    while (auto ef = inner.next())
        if (ef->type == kEfCookie) pool_.push(ef->body);
    return ClientVerdict::kAuthenticated;
}

}  // namespace ntplite::proto::nts
