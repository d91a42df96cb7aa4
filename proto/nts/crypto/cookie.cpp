#include "proto/nts/crypto/cookie.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <charconv>
#include <cstring>

namespace ntplite::proto::nts {
namespace {

void put32(std::span<std::byte> b, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[i] = std::byte((v >> (24 - 8 * i)) & 0xFF);
}
uint32_t get32(std::span<const std::byte> b) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | std::to_integer<uint32_t>(b[i]);
    return v;
}

constexpr std::size_t kCookieHeader = 4 + kCookieNonceSize;  // key id + nonce

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view next_word(std::string_view& line) {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    std::size_t n = 0;
    while (n < line.size() && line[n] != ' ' && line[n] != '\t') ++n;
    const auto w = line.substr(0, n);
    line.remove_prefix(n);
    return w;
}

}  // namespace

std::string_view to_string(CookieError e) {
    switch (e) {
        case CookieError::kMalformed:
            return "malformed cookie";
        case CookieError::kUnknownKey:
            return "unknown master key";
        case CookieError::kBadTag:
            return "cookie authentication failed";
        case CookieError::kBadAead:
            return "bad AEAD in cookie";
    }
    return "?";
}

void KeyRing::add(const MasterKey& k) {
    std::size_t keep = 0;
    std::array<MasterKey, kMaxMasterKeys> next{};
    next[keep++] = k;
    for (std::size_t i = 0; i < count_ && keep < kMaxMasterKeys; ++i)
        if (keys_[i].id != k.id) next[keep++] = keys_[i];
    OPENSSL_cleanse(keys_.data(), sizeof keys_);
    keys_ = next;
    count_ = keep;
    OPENSSL_cleanse(next.data(), sizeof next);
}

const MasterKey* KeyRing::find(uint32_t id) const {
    for (std::size_t i = 0; i < count_; ++i)
        if (keys_[i].id == id) return &keys_[i];
    return nullptr;
}

std::size_t make_cookie(AesSiv& aead, const KeyRing& ring,
                        std::span<const std::byte, kCookieNonceSize> nonce, const SessionKeys& keys,
                        std::span<std::byte> out) {
    const MasterKey* mk = ring.newest();
    const std::size_t ks = keys.key_size();
    const std::size_t size = cookie_size(ks);
    if (!mk || ks == 0 || out.size() < size) return 0;
    std::array<std::byte, 4 + 2 * kMaxAeadKeySize> plain{};
    plain[0] = std::byte(keys.aead >> 8);
    plain[1] = std::byte(keys.aead & 0xFF);
    std::memcpy(plain.data() + 4, keys.c2s.data(), ks);
    std::memcpy(plain.data() + 4 + ks, keys.s2c.data(), ks);
    const auto pt = std::span(plain).first(4 + 2 * ks);
    put32(out, mk->id);
    std::memcpy(out.data() + 4, nonce.data(), kCookieNonceSize);
    const bool ok = aead.seal(kCookieAead, mk->key, out.first(4), nonce, pt,
                              out.subspan(kCookieHeader, pt.size() + kSivTagSize));
    OPENSSL_cleanse(plain.data(), plain.size());
    return ok ? size : 0;
}

std::expected<SessionKeys, CookieError> open_cookie(AesSiv& aead, const KeyRing& ring,
                                                    std::span<const std::byte> cookie) {
    if (cookie.size() != cookie_size(32) && cookie.size() != cookie_size(64))
        return std::unexpected(CookieError::kMalformed);
    const MasterKey* mk = ring.find(get32(cookie));
    if (!mk) return std::unexpected(CookieError::kUnknownKey);
    std::array<std::byte, 4 + 2 * kMaxAeadKeySize> plain{};
    const auto sealed = cookie.subspan(kCookieHeader);
    const auto pt = std::span(plain).first(sealed.size() - kSivTagSize);
    if (!aead.open(kCookieAead, mk->key, cookie.first(4), cookie.subspan(4, kCookieNonceSize),
                   sealed, pt))
        return std::unexpected(CookieError::kBadTag);
    SessionKeys keys;
    keys.aead = static_cast<uint16_t>((std::to_integer<unsigned>(plain[0]) << 8) |
                                      std::to_integer<unsigned>(plain[1]));
    const std::size_t ks = keys.key_size();
    if (ks == 0 || pt.size() != 4 + 2 * ks) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return std::unexpected(CookieError::kBadAead);
    }
    std::memcpy(keys.c2s.data(), plain.data() + 4, ks);
    std::memcpy(keys.s2c.data(), plain.data() + 4 + ks, ks);
    OPENSSL_cleanse(plain.data(), plain.size());
    return keys;
}

std::expected<KeyRing, std::size_t> parse_key_file(std::string_view text) {
    std::array<MasterKey, kMaxMasterKeys> found{};
    std::size_t count = 0, lineno = 0;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++lineno;
        if (line.empty() || line.front() == '#') continue;
        const auto id_s = next_word(line), created_s = next_word(line), key_s = next_word(line);
        if (!next_word(line).empty() || key_s.size() != 2 * kMasterKeySize)
            return std::unexpected(lineno);
        MasterKey k;
        if (std::from_chars(id_s.data(), id_s.data() + id_s.size(), k.id, 16).ptr !=
                id_s.data() + id_s.size() ||
            id_s.empty() ||
            std::from_chars(created_s.data(), created_s.data() + created_s.size(), k.created_unix_s)
                    .ptr != created_s.data() + created_s.size() ||
            created_s.empty())
            return std::unexpected(lineno);
        for (std::size_t i = 0; i < kMasterKeySize; ++i) {
            const int hi = hex_digit(key_s[2 * i]), lo = hex_digit(key_s[2 * i + 1]);
            if (hi < 0 || lo < 0) return std::unexpected(lineno);
            k.key[i] = std::byte(hi << 4 | lo);
        }
        if (count < kMaxMasterKeys) found[count++] = k;
    }
    KeyRing ring;
    for (std::size_t i = count; i-- > 0;) ring.add(found[i]);  // oldest first, newest ends first
    OPENSSL_cleanse(found.data(), sizeof found);
    return ring;
}

std::string format_key_file(const KeyRing& ring) {
    std::string out = "# ntpd-lite NTS master keys, newest first: id created-unix-s key. Secret.\n";
    for (const MasterKey& k : ring.keys()) {
        out += fmt::format("{:08x} {} ", k.id, k.created_unix_s);
        for (std::byte b : k.key) out += fmt::format("{:02x}", std::to_integer<unsigned>(b));
        out += '\n';
    }
    return out;
}

bool rotation_due(const KeyRing& ring, int64_t now_unix_s, int64_t rotation_s) {
    const MasterKey* k = ring.newest();
    return !k || now_unix_s - k->created_unix_s >= rotation_s;
}

}  // namespace ntplite::proto::nts
