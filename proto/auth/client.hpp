// Client-side authentication of one source: the seam between the sync core and an
// authentication method (none, a symmetric key, NTS). The SyncEngine owns one
// ClientAuthenticator per source: it seals every request the Source builds and opens every reply
// before the Source sees it; a reply that fails is a counted, typed drop, never a sample.
// Methods with per-source state (NTS cookies, the unique identifier of the outstanding request)
// keep it inside their authenticator. Pure: randomness is injected (seal's `rng`).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "proto/auth/keys.hpp"
#include "proto/nts/ke_failure.hpp"
#include "proto/packet.hpp"
#include "proto/random.hpp"

namespace ntplite::auth {

/// How a source is authenticated.
enum class AuthKind : uint8_t {
    kNone,  ///< plain NTP: replies carrying a MAC or extension fields are refused, like chrony
    kKey,   ///< symmetric key (RFC 5905 MAC / RFC 8573 AES-CMAC)
    kNts,   ///< Network Time Security (RFC 8915)
};
/// "none", "key", "nts" (logs, JSON, metrics labels).
const char* to_string(AuthKind k);

/// Why a request could not be sealed or a reply was refused.
enum class AuthFailure : uint8_t {
    kNone,             ///< authentic (or nothing to authenticate)
    kUnauthenticated,  ///< the reply carried no authentication although it must
    kUnexpectedAuth,   ///< kNone source: the reply carried a MAC or extension fields
    kWrongKey,         ///< the reply's MAC uses another key id than ours
    kBadMac,           ///< the MAC does not match (tampered, or a different secret)
    kCryptoNak,        ///< the server says our MAC failed (RFC 5905 crypto-NAK)
    kMalformed,        ///< the reply's trailer does not parse
    kNoKey,            ///< our key id is not in the keys file (nothing is sent)
    kCrypto,           ///< the crypto library failed (nothing is sent)
    kUnsupported,      ///< this build cannot do the configured method (nothing is sent)
    // NTS (RFC 8915) reasons, set by the NTS authenticator:
    kNtsNak,          ///< NTS NAK: the server did not accept our cookie
    kNtsNoCookies,    ///< no cookie left: waiting for NTS-KE (nothing is sent)
    kNtsBadUniqueId,  ///< the reply's unique identifier is not the request's
    kNtsKeFailed,     ///< NTS-KE failed (see NtsStatus::ke_error)
};
/// "none", "unauthenticated", "unexpected-auth", "wrong-key", "bad-mac", "crypto-nak",
/// "malformed", "no-key", "crypto", "unsupported", "nts-nak", "nts-no-cookies",
/// "nts-bad-unique-id", "nts-ke-failed".
const char* to_string(AuthFailure f);

/// NTS state of a source, for monitoring (filled by the NTS authenticator).
struct NtsStatus {
    int cookies = 0;            ///< cookies left in the pool
    std::string ke_state;       ///< e.g. "idle", "connecting", "done", "failed"
    std::string ke_error;       ///< last NTS-KE failure (certificate, TLS, NAK, ...); "" = none
    uint64_t ke_exchanges = 0;  ///< successful key exchanges
    proto::nts::KeFailureCounts ke_failures{};  ///< failed key exchanges by proto::nts::KeFailure
};

/// A source's authentication as monitoring shows it.
struct AuthStatus {
    AuthKind kind = AuthKind::kNone;
    uint32_t key_id = 0;         ///< kKey
    uint64_t authenticated = 0;  ///< replies that passed
    uint64_t failures = 0;       ///< replies refused or requests not sealed
    AuthFailure last_failure = AuthFailure::kNone;
    int64_t last_failure_time_ns = 0;  ///< local time of last_failure (0: never)
    NtsStatus nts;                     ///< kNts only
};

/// A request as sent: the 48-byte header plus what the authenticator appended.
struct RequestBuffer {
    std::array<std::byte, proto::kMaxPacketSize> bytes{};
    std::size_t size = 0;  ///< bytes in use
    std::span<const std::byte> view() const { return {bytes.data(), size}; }
    std::span<std::byte> view() { return {bytes.data(), size}; }
};

/// One source's authentication method.
class ClientAuthenticator {
  public:
    virtual ~ClientAuthenticator() = default;
    virtual AuthKind kind() const = 0;
    /// Appends the authentication to `request` (a serialized 48-byte header on entry). kNone:
    /// send it; any other value: do not send (the caller counts it).
    virtual AuthFailure seal(RequestBuffer& request, proto::Random& rng) = 0;
    /// Checks a reply (the whole datagram, at least 48 bytes). kNone: its header is authentic
    /// and may be handed to the Source.
    virtual AuthFailure open(std::span<const std::byte> reply) = 0;
    /// Fills kind, key_id and the NTS state (counters are kept by the owner).
    virtual void describe(AuthStatus& status) const = 0;
};

/// What the configuration asks for one source.
struct SourceAuthConfig {
    AuthKind kind = AuthKind::kNone;
    uint32_t key_id = 0;  ///< kKey
    /// kNts: the per-source NTS state the daemon's key exchange shares with the authenticator
    /// (proto::nts::NtsClientShared; opaque here, handed to ClientAuthContext::make_nts).
    std::shared_ptr<void> nts_state;
};

/// Shared inputs authenticators are built from (the daemon loads them at the edge).
struct ClientAuthContext {
    std::shared_ptr<const KeySet> keys;  ///< the keys file; nullptr = none configured
    /// Builds the authenticator of a kNts source (proto/nts, supplied by the daemon); empty or
    /// returning null = NTS refused (kUnsupported: nothing is sent).
    std::function<std::unique_ptr<ClientAuthenticator>(const SourceAuthConfig&)> make_nts;
};

/// The authenticator for `cfg`. Never null: a kKey source whose key is missing gets an
/// authenticator that refuses to send (kNoKey), so the failure shows in monitoring.
std::unique_ptr<ClientAuthenticator> make_client_authenticator(const SourceAuthConfig& cfg,
                                                               const ClientAuthContext& ctx);

}  // namespace ntplite::auth
