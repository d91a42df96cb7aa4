// Server-side authentication of requests, per worker thread: classify the request's trailer,
// check a MAC, and after the transmit timestamp is patched, append the reply's MAC with the same
// key. A request whose authentication fails is dropped and counted, never answered
// unauthenticated. Pure (no IO); MAC contexts are created up front, so checking and sealing
// allocate nothing. The NTS server handler plugs in behind the same classification.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "proto/auth/client.hpp"
#include "proto/auth/keys.hpp"
#include "proto/auth/mac.hpp"
#include "proto/auth/tail.hpp"
#include "proto/packet.hpp"

namespace ntplite::auth {

/// The verdict on one request's authentication.
enum class RequestAuth : uint8_t {
    kPlain,        ///< no trailer: answer unauthenticated
    kValidMac,     ///< MAC checked: answer with a MAC by the same key (see ReplySeal)
    kUnknownKey,   ///< MAC with a key id we do not have: drop (as chronyd does)
    kBadMac,       ///< MAC with one of our keys that does not match: drop
    kCryptoNak,    ///< a crypto-NAK sent to a server: drop
    kMalformed,    ///< trailer not understood: drop
    kUnsupported,  ///< extension fields (NTS or others) this server does not handle: drop
    kNts,          ///< NTS request authenticated: answer, sealed by the NTS handler
    kNtsNak,       ///< NTS request whose cookie or authenticator fails: answer with an NTS NAK
};
/// "plain", "valid-mac", "unknown-key", "bad-mac", "crypto-nak", "malformed", "unsupported".
const char* to_string(RequestAuth r);

/// What to append to a reply once its transmit timestamp is final. Plain value, one per reply.
struct ReplySeal {
    AuthKind kind = AuthKind::kNone;  ///< kNone: nothing
    uint32_t key_id = 0;              ///< kKey
    uint32_t key_index = 0;           ///< kKey: index in the worker's MacEngine
    uint32_t nts_slot = 0;            ///< kNts: the NTS handler's slot for this reply
    uint16_t nts_bytes = 0;           ///< kNts: bytes the NTS handler appends to the header
};

/// The NTS server (RFC 8915) behind ServerAuth, one per worker thread (implemented in
/// proto/nts: NtsServerHandler). It keeps what a reply needs in a slot between the check and the
/// seal (the receive batch's request buffers stay valid until then).
class NtsRequestHandler {
  public:
    enum class Verdict : uint8_t {
        kNotNts,     ///< no NTS fields
        kReply,      ///< authenticated: answer, then seal(slot)
        kNak,        ///< cookie or authenticator fails: answer, seal(slot) makes it an NTS NAK
        kMalformed,  ///< broken NTS fields: drop
    };
    virtual ~NtsRequestHandler() = default;
    /// For kReply/kNak sets `*slot` and `*reply_bytes` (the whole datagram, never more than the
    /// request nor `capacity`).
    virtual Verdict check(std::span<const std::byte> request, std::size_t capacity, uint32_t* slot,
                          std::size_t* reply_bytes) = 0;
    /// Appends the NTS fields to the final 48-byte header in `out`; returns the datagram size
    /// (0: drop).
    virtual std::size_t seal(uint32_t slot, std::span<std::byte> out) = 0;
};

class ServerAuth {
  public:
    /// `keys` may be null or empty: then every MAC request has an unknown key.
    explicit ServerAuth(std::shared_ptr<const KeySet> keys);

    /// Decides the authentication of `request` (parsed as `packet`, a client request). Sets
    /// `*seal` for kValidMac.
    RequestAuth check_request(std::span<const std::byte> request, const proto::Packet& packet,
                              ReplySeal* seal);
    /// Appends `seal` to the reply of `size` bytes in `out` (transmit timestamp already final).
    /// Returns the new size, or 0 if it cannot be sealed (the reply must then be dropped).
    std::size_t seal_reply(const ReplySeal& seal, std::span<std::byte> out, std::size_t size);
    /// The MAC of a reply sealed with `seal` takes this many bytes (key id + digest).
    std::size_t seal_bytes(const ReplySeal& seal) const;
    /// NTS requests go to `nts` (null = none: they are kUnsupported). Not owned.
    void set_nts(NtsRequestHandler* nts) { nts_ = nts; }

  private:
    NtsRequestHandler* nts_ = nullptr;
    std::shared_ptr<const KeySet> keys_;
    std::optional<MacEngine> mac_;
};

}  // namespace ntplite::auth
