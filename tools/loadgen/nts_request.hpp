// ntp-loadgen's NTS packets (RFC 8915 section 5): client requests sealed under the C2S key of one
// NTS-KE session, and the check of a server's reply. The request's tag (tools/loadgen/wire.hpp)
// sits in the transmit timestamp, which the authenticator covers, so every request is sealed
// after its tag is written: one AES-SIV S2V over ~190 bytes, cheaper than what a server does per
// request (open the cookie, verify, seal a new cookie). The unique identifier is derived from
// the tag (tag | per-run salt), so a reply's unique id is checked against its own origin without
// any per-request storage. Servers keep no per-client state, so the session's cookies are used
// round-robin instead of once each. No heap allocation per packet; not thread-safe (one per
// generator thread).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "proto/nts/crypto/aes_siv.hpp"
#include "proto/nts/crypto/cookie.hpp"
#include "proto/nts/crypto/nts_packet.hpp"
#include "proto/nts/extension.hpp"

namespace ntplite::tools::loadgen {

/// What one NTS-KE exchange gave: keys and cookies (all the same size).
struct NtsCredentials {
    proto::nts::SessionKeys keys;
    std::vector<std::vector<std::byte>> cookies;  ///< at least one; equal sizes
};

/// Bytes of the per-run salt in each unique identifier (the first 8 bytes are the tag).
inline constexpr std::size_t kNtsUidSaltBytes = proto::nts::kUniqueIdSize - 8;

/// The NTS verdict on a reply whose header passed the plain checks.
enum class NtsReplyKind : uint8_t {
    kAuthenticated,  ///< unique id matches, authenticator verified with S2C
    kUnverified,     ///< unique id and framing good; authenticator not checked (sampling)
    kNak,            ///< NTS NAK (stratum 0, "NTSN") echoing our unique id
    kBadUniqueId,    ///< missing unique id, or not the one the origin's request carried
    kMalformed,      ///< broken NTS fields (no authenticator, fields after it, ...)
    kBadAuth,        ///< the authenticator does not verify: tampered or wrong keys
};

class NtsRequestCodec {
  public:
    /// `placeholders` cookie placeholder fields (each as large as the cookie) ask for that many
    /// extra cookies, as a client refilling its pool does; `salt` makes unique ids per run.
    NtsRequestCodec(const NtsCredentials& creds, unsigned placeholders,
                    std::span<const std::byte, kNtsUidSaltBytes> salt);

    /// False if the credentials are unusable (no cookie, unequal cookie sizes, unknown AEAD) or
    /// OpenSSL is missing the AEAD's primitives.
    bool ok() const { return ok_; }
    /// Size of every request, bytes (also the largest reply accepted: no amplification).
    std::size_t request_size() const { return size_; }

    /// Write a whole request of request_size() bytes for `tag` into `out`: version `version`,
    /// mode 3, transmit = tag, unique id, cookie number `sequence % cookies`, placeholders,
    /// authenticator. False on failure (nothing usable in `out`).
    bool build(uint8_t version, uint64_t tag, uint32_t sequence, std::span<std::byte> out);

    /// Check the NTS part of `reply` answering the request of `tag` (its origin). The NTP header
    /// (mode, version, size bounds) is the caller's check. `verify` false skips the AEAD.
    NtsReplyKind check(std::span<const std::byte> reply, uint64_t tag, bool verify);

  private:
    void unique_id(uint64_t tag, std::span<std::byte, proto::nts::kUniqueIdSize> out) const;

    proto::nts::SessionKeys keys_;
    std::vector<std::vector<std::byte>> cookies_;
    std::array<std::byte, kNtsUidSaltBytes> salt_{};
    std::vector<std::byte> template_;  ///< request with cookie 0, zero tag, unsealed
    std::size_t uid_offset_ = 0;       ///< body of the unique id field
    std::size_t cookie_offset_ = 0;    ///< body of the cookie field
    std::size_t auth_offset_ = 0;      ///< start of the authenticator field (= associated data)
    std::size_t nonce_offset_ = 0;     ///< nonce inside the authenticator
    std::size_t tag_offset_ = 0;       ///< SIV tag (the whole ciphertext: nothing encrypted)
    std::size_t size_ = 0;
    proto::nts::AesSiv aead_;
    std::array<std::byte, 1024> plain_{};  ///< decrypted reply fields (a reply <= 1024 bytes)
    bool ok_ = false;
};

}  // namespace ntplite::tools::loadgen
