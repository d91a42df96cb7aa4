#include "proto/nts/extension.hpp"

#include <cstring>

namespace ntplite::proto::nts {
namespace {

uint16_t be16(std::span<const std::byte> b, std::size_t at) {
    return static_cast<uint16_t>((std::to_integer<unsigned>(b[at]) << 8) |
                                 std::to_integer<unsigned>(b[at + 1]));
}

void put16(std::span<std::byte> b, std::size_t at, uint16_t v) {
    b[at] = std::byte(v >> 8);
    b[at + 1] = std::byte(v & 0xFF);
}

constexpr std::size_t pad4(std::size_t n) {
    return (n + 3) & ~std::size_t{3};
}

}  // namespace

std::string_view to_string(NtsFieldError e) {
    switch (e) {
        case NtsFieldError::kNoFields:
            return "no extension fields";
        case NtsFieldError::kMalformed:
            return "malformed extension fields";
        case NtsFieldError::kNoUniqueId:
            return "bad unique identifier";
        case NtsFieldError::kNoCookie:
            return "bad cookie";
        case NtsFieldError::kNoAuthenticator:
            return "bad authenticator";
        case NtsFieldError::kAfterAuthenticator:
            return "fields after authenticator";
    }
    return "?";
}

ExtensionReader::ExtensionReader(std::span<const std::byte> packet, std::size_t start)
    : packet_(packet), at_(start) {
    if (packet_.size() < start) {
        malformed_ = true;
        at_ = packet_.size();
    }
}

std::optional<ExtensionField> ExtensionReader::next() {
    if (malformed_ || at_ >= packet_.size()) return std::nullopt;
    const std::size_t left = packet_.size() - at_;
    if (left < kMinFieldSize) {
        malformed_ = true;
        return std::nullopt;
    }
    const uint16_t type = be16(packet_, at_);
    const std::size_t size = be16(packet_, at_ + 2);
    if (size < kMinFieldSize || size % 4 != 0 || size > left) {
        malformed_ = true;
        return std::nullopt;
    }
    ExtensionField f{type, packet_.subspan(at_ + 4, size - 4), at_, size};
    at_ += size;
    return f;
}

std::optional<Authenticator> parse_authenticator(std::span<const std::byte> body) {
    if (body.size() < 4) return std::nullopt;
    const std::size_t nonce_len = be16(body, 0);
    const std::size_t ct_len = be16(body, 2);
    if (nonce_len == 0 || ct_len < kSivTagSize) return std::nullopt;
    if (4 + pad4(nonce_len) + pad4(ct_len) > body.size()) return std::nullopt;
    return Authenticator{body.subspan(4, nonce_len), body.subspan(4 + pad4(nonce_len), ct_len)};
}

std::expected<NtsFields, NtsFieldError> parse_nts_fields(std::span<const std::byte> packet,
                                                         bool request) {
    NtsFields f;
    f.packet_size = packet.size();
    ExtensionReader reader(packet);
    bool any = false, have_auth = false, have_uid = false;
    std::size_t cookies = 0;
    while (auto ef = reader.next()) {
        any = true;
        if (have_auth) return std::unexpected(NtsFieldError::kAfterAuthenticator);
        switch (ef->type) {
            case kEfUniqueId:
                if (have_uid || ef->body.size() < kUniqueIdSize)
                    return std::unexpected(NtsFieldError::kNoUniqueId);
                have_uid = true;
                f.unique_id = ef->body;
                break;
            case kEfCookie:
                ++cookies;
                f.cookie = ef->body;
                break;
            case kEfCookiePlaceholder:
                ++f.placeholders;
                f.placeholder_bytes += ef->size;
                break;
            case kEfAuthenticator: {
                auto a = parse_authenticator(ef->body);
                if (!a) return std::unexpected(NtsFieldError::kNoAuthenticator);
                f.auth = *a;
                f.authenticated_size = ef->offset;
                have_auth = true;
                break;
            }
            default:
                break;
        }
    }
    if (reader.malformed()) return std::unexpected(NtsFieldError::kMalformed);
    if (!any) return std::unexpected(NtsFieldError::kNoFields);
    if (!have_uid) return std::unexpected(NtsFieldError::kNoUniqueId);
    if (request && cookies != 1) return std::unexpected(NtsFieldError::kNoCookie);
    if (!have_auth) return std::unexpected(NtsFieldError::kNoAuthenticator);
    return f;
}

std::span<const std::byte> find_unique_id(std::span<const std::byte> packet) {
    ExtensionReader reader(packet);
    while (auto ef = reader.next())
        if (ef->type == kEfUniqueId) return ef->body;
    return {};
}

std::optional<std::size_t> write_field(std::span<std::byte> out, std::size_t at, uint16_t type,
                                       std::span<const std::byte> body,
                                       std::size_t zero_body_size) {
    const std::size_t body_size = body.empty() ? zero_body_size : body.size();
    const std::size_t size = field_size(body_size);
    if (at > out.size() || out.size() - at < size || size > 0xFFFF) return std::nullopt;
    put16(out, at, type);
    put16(out, at + 2, uint16_t(size));
    std::memset(out.data() + at + 4, 0, size - 4);
    if (!body.empty()) std::memcpy(out.data() + at + 4, body.data(), body.size());
    return at + size;
}

std::optional<AuthenticatorSlot> write_authenticator(std::span<std::byte> out, std::size_t at,
                                                     std::span<const std::byte> nonce,
                                                     std::size_t ciphertext_size) {
    const std::size_t size = authenticator_size(nonce.size(), ciphertext_size);
    if (at > out.size() || out.size() - at < size || size > 0xFFFF || nonce.size() > 0xFFFF ||
        ciphertext_size > 0xFFFF)
        return std::nullopt;
    put16(out, at, kEfAuthenticator);
    put16(out, at + 2, uint16_t(size));
    put16(out, at + 4, uint16_t(nonce.size()));
    put16(out, at + 6, uint16_t(ciphertext_size));
    std::memset(out.data() + at + 8, 0, size - 8);
    if (!nonce.empty()) std::memcpy(out.data() + at + 8, nonce.data(), nonce.size());
    return AuthenticatorSlot{at + 8 + pad4(nonce.size()), at + size};
}

}  // namespace ntplite::proto::nts
