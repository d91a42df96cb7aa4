// NTS cookies of our server (RFC 8915 section 6 "suggested format"): a cookie is
//   master key id (4) | nonce (16) | AES-SIV-CMAC-256(master key, ad = key id, nonce,
//                                                   aead id (2) | zero (2) | C2S key | S2C key)
// so the server keeps no per-client state. Master keys rotate: the key ring holds the newest
// kMaxMasterKeys keys and accepts cookies of any of them (the grace period), sealing with the
// newest. The key file text format lets several servers share keys. Pure apart from OpenSSL's
// computation; no allocation per cookie.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proto/nts/crypto/aes_siv.hpp"
#include "proto/nts/extension.hpp"
#include "proto/nts/ke_record.hpp"

namespace ntplite::proto::nts {

/// Largest AEAD key we handle (AES-SIV-CMAC-512), bytes.
inline constexpr std::size_t kMaxAeadKeySize = 64;
/// The AEAD that seals cookies, and its key size.
inline constexpr uint16_t kCookieAead = kAeadAesSivCmac256;
inline constexpr std::size_t kMasterKeySize = 32;
inline constexpr std::size_t kCookieNonceSize = 16;
/// Master keys accepted at once: the newest seals, older ones are the grace period.
inline constexpr std::size_t kMaxMasterKeys = 3;

/// Size of our cookie for an association whose AEAD keys are `key_size` bytes (a multiple of 4,
/// as extension fields need): 104 for AES-SIV-CMAC-256, 168 for -512.
constexpr std::size_t cookie_size(std::size_t key_size) {
    return 4 + 16 + 16 + 4 + 2 * key_size;
}
inline constexpr std::size_t kMaxOurCookieSize = cookie_size(kMaxAeadKeySize);

/// The keys of one NTS association, as exported from its NTS-KE TLS session (RFC 8915 5.1).
struct SessionKeys {
    uint16_t aead = 0;
    std::array<std::byte, kMaxAeadKeySize> c2s{};  ///< client-to-server key (first key_size bytes)
    std::array<std::byte, kMaxAeadKeySize> s2c{};  ///< server-to-client key
    std::size_t key_size() const { return aead_key_size(aead); }
    std::span<const std::byte> c2s_key() const { return std::span(c2s).first(key_size()); }
    std::span<const std::byte> s2c_key() const { return std::span(s2c).first(key_size()); }
};

/// One server master key.
struct MasterKey {
    uint32_t id = 0;
    int64_t created_unix_s = 0;  ///< when it was made (drives rotation)
    std::array<std::byte, kMasterKeySize> key{};
};

/// The server's master keys, newest first.
class KeyRing {
  public:
    /// Adds `k` as the newest key; the oldest beyond kMaxMasterKeys is forgotten. A key whose id
    /// is already present replaces it.
    void add(const MasterKey& k);
    const MasterKey* newest() const { return count_ ? &keys_[0] : nullptr; }
    const MasterKey* find(uint32_t id) const;
    std::span<const MasterKey> keys() const { return std::span(keys_).first(count_); }
    std::size_t size() const { return count_; }

  private:
    std::array<MasterKey, kMaxMasterKeys> keys_{};
    std::size_t count_ = 0;
};

/// Seal `keys` into a cookie at `out` with the ring's newest key; returns the cookie size, 0 when
/// `out` is too small, the ring is empty, or the AEAD is unknown.
std::size_t make_cookie(AesSiv& aead, const KeyRing& ring,
                        std::span<const std::byte, kCookieNonceSize> nonce, const SessionKeys& keys,
                        std::span<std::byte> out);

/// Why a cookie does not open.
enum class CookieError : uint8_t {
    kMalformed,   ///< wrong size for any AEAD we issue
    kUnknownKey,  ///< its master key was rotated out (or never ours)
    kBadTag,      ///< forged or damaged
    kBadAead,     ///< decrypted to an AEAD id we do not issue
};
std::string_view to_string(CookieError e);

std::expected<SessionKeys, CookieError> open_cookie(AesSiv& aead, const KeyRing& ring,
                                                    std::span<const std::byte> cookie);

/// The key file: "# ..." comments, then one "<id hex> <created unix s> <key hex>" line per key,
/// newest first. Parse returns the ring, or the 1-based line number that is wrong.
std::expected<KeyRing, std::size_t> parse_key_file(std::string_view text);
std::string format_key_file(const KeyRing& ring);

/// Whether the newest key is older than `rotation_s` at `now_unix_s` (or there is none).
bool rotation_due(const KeyRing& ring, int64_t now_unix_s, int64_t rotation_s);

}  // namespace ntplite::proto::nts
