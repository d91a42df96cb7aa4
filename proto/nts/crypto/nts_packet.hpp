// NTS for NTP packets (RFC 8915 section 5): the server's check of a request and its reply (new
// cookies sealed under the S2C key, the unique identifier echoed, or an NTS NAK), and the
// client's request (cookie, placeholders, authenticator) and check of a reply. Both work on a
// packet whose 48-byte header the caller has already written; no heap allocation per packet,
// never throws. Randomness (nonces, unique identifiers) comes from OpenSSL's per-thread DRBG.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "proto/nts/crypto/aes_siv.hpp"
#include "proto/nts/crypto/cookie.hpp"
#include "proto/nts/extension.hpp"
#include "proto/nts/ke_record.hpp"

namespace ntplite::proto::nts {

/// Kiss code of an NTS NAK (RFC 8915 5.7), as a refid in host order.
inline constexpr uint32_t kKissNtsNak = 0x4E54534E;  // "NTSN"

/// The server's verdict on a request's extension fields.
enum class ServerVerdict : uint8_t {
    kNotNts,            ///< no NTS fields: a plain request (answered plainly, if at all)
    kAuthenticated,     ///< cookie and authenticator check out: answer with write_reply
    kNak,               ///< the cookie does not open (rotated-out key, forged): answer with a NAK
    kBadAuthenticator,  ///< the cookie opens but the authenticator fails: NAK too (RFC 8915 5.7)
    kMalformed,         ///< NTS fields present but broken: drop
};
std::string_view to_string(ServerVerdict v);

/// What the server keeps between check and reply for one request.
struct ServerRequest {
    SessionKeys keys;
    std::span<const std::byte> unique_id;  ///< points into the request
    std::size_t cookies_wanted = 0;        ///< 1 + placeholders, at most kKeMaxCookies
    std::size_t request_size = 0;
};

/// Random bytes for reply nonces, drawn from OpenSSL's DRBG in batches: one RAND_bytes call
/// costs about as much as all of an NTS reply's AES work (OpenSSL 3's CTR-DRBG re-keys its
/// cipher through the EVP parameter machinery and checks getpid() on every call), and a reply
/// needs two 16-byte nonces. The nonces are public (they travel in clear) and each byte is handed
/// out once; the process must not fork while a batch is pending (ntpd-lite does not fork).
class NonceSource {
  public:
    /// Fills `out` (at most kBatch bytes); false when the DRBG fails.
    bool fill(std::span<std::byte> out);
    static constexpr std::size_t kBatch = 1024;

  private:
    std::array<std::byte, kBatch> batch_{};
    std::size_t used_ = kBatch;  ///< bytes of batch_ already handed out
};

/// One per server worker thread: preallocated AEAD and scratch space.
class NtsServer {
  public:
    /// Check `request` (a whole datagram) against the master keys.
    ServerVerdict check(const KeyRing& ring, std::span<const std::byte> request,
                        ServerRequest& out);
    /// After check() == kAuthenticated: append the unique identifier and an authenticator with
    /// fresh cookies to the 48-byte reply header in `out[0,48)`. The reply is never larger than
    /// the request (fewer cookies are sent if needed). Returns the datagram size, 0 on failure.
    std::size_t write_reply(const KeyRing& ring, const ServerRequest& req,
                            std::span<std::byte> out);
    /// The size write_reply will produce for `req` into a buffer of `out_size` bytes (0: none).
    static std::size_t planned_reply_size(const ServerRequest& req, std::size_t out_size);
    /// The size write_nak will produce for `request` (0 = no unique identifier: drop).
    static std::size_t planned_nak_size(std::span<const std::byte> request);
    /// An NTS NAK: turns the reply header in `out[0,48)` into a KoD "NTSN" (stratum 0) and appends
    /// the request's unique identifier. Returns the datagram size, 0 when the request had none.
    static std::size_t write_nak(std::span<const std::byte> request, std::span<std::byte> out);

  private:
    AesSiv aead_;
    NonceSource nonces_;
    // Decrypted request fields, and the cookie fields of a reply before sealing.
    std::array<std::byte, kKeMaxCookies * field_size(kMaxOurCookieSize)> plain_{};
};

/// A client's cookie pool (RFC 8915 5.7: the client keeps at most 8 and uses each once).
class CookiePool {
  public:
    void clear() { count_ = 0; }
    /// Keeps `c` unless the pool is full or `c` is too large; returns whether it was kept.
    bool push(std::span<const std::byte> c);
    /// Removes the oldest cookie into `out`; returns its size (0 when empty).
    std::size_t pop(std::span<std::byte, kKeMaxCookieSize> out);
    std::size_t size() const { return count_; }

  private:
    std::array<std::array<std::byte, kKeMaxCookieSize>, kKeMaxCookies> cookies_{};
    std::array<uint16_t, kKeMaxCookies> sizes_{};
    std::size_t head_ = 0, count_ = 0;
};

/// The client's verdict on a reply.
enum class ClientVerdict : uint8_t {
    kAuthenticated,  ///< unique id matches and the authenticator checks out; cookies refilled
    kNak,            ///< an NTS NAK carrying our unique id: re-key
    kNotExpected,    ///< no request pending, or another unique id (a replay or a stray reply)
    kBadAuth,        ///< the authenticator does not verify (tampered or wrong keys)
    kMalformed,      ///< missing or broken NTS fields
};
std::string_view to_string(ClientVerdict v);

/// Whether `reply` is an NTS NAK (RFC 8915 5.7: stratum 0, kiss code "NTSN"; unauthenticated
/// by design). False for anything shorter than an NTP header.
bool is_nts_nak(std::span<const std::byte> reply);

/// One NTS association of a client: keys from NTS-KE, the cookie pool, the pending unique id.
class NtsClientSession {
  public:
    void reset(const SessionKeys& keys) {
        keys_ = keys;
        pool_.clear();
        pending_ = false;
    }
    CookiePool& cookies() { return pool_; }
    std::size_t cookies_left() const { return pool_.size(); }
    const SessionKeys& keys() const { return keys_; }

    /// Append the NTS fields to the request header in `out[0,48)`: a fresh unique id, one cookie,
    /// placeholders to refill the pool, the authenticator. Returns the datagram size, 0 when no
    /// cookie is left (re-key) or on failure.
    std::size_t write_request(AesSiv& aead, std::span<std::byte> out);
    /// Check a reply; a reply is accepted at most once (the pending id is cleared).
    ClientVerdict check_reply(AesSiv& aead, std::span<const std::byte> reply);

  private:
    SessionKeys keys_;
    CookiePool pool_;
    std::array<std::byte, kUniqueIdSize> unique_id_{};
    bool pending_ = false;
    std::array<std::byte, 1024> plain_{};  ///< decrypted reply fields (a datagram is <= 1024)
};

/// RFC 8915 5.1 exporter context for `aead_id`: 0x0000 (NTPv4) | aead id | 0x00 c2s / 0x01 s2c.
std::array<std::byte, 5> exporter_context(uint16_t aead_id, bool server_to_client);

}  // namespace ntplite::proto::nts
