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
};
/// "plain", "valid-mac", "unknown-key", "bad-mac", "crypto-nak", "malformed", "unsupported".
const char* to_string(RequestAuth r);

/// What to append to a reply once its transmit timestamp is final. Plain value, one per reply.
struct ReplySeal {
    AuthKind kind = AuthKind::kNone;  ///< kNone: nothing
    uint32_t key_id = 0;              ///< kKey
    uint32_t key_index = 0;           ///< kKey: index in the worker's MacEngine
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

  private:
    std::shared_ptr<const KeySet> keys_;
    std::optional<MacEngine> mac_;
};

}  // namespace ntplite::auth
