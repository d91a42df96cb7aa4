// The NTS client authenticator (RFC 8915 section 5) behind the authentication seam
// (proto/auth/client.hpp): the SyncEngine owns it and calls seal/open per packet; the daemon's
// key exchange (daemon/nts/source_keying) fills the shared state with keys and cookies and is
// asked for a new exchange through `rekey_wanted` (no cookies, NTS NAK). Until keys arrive,
// nothing is sent: plain NTP is never used instead. Not thread-safe: engine thread only.
#pragma once

#include <memory>
#include <string>

#include "proto/auth/client.hpp"
#include "proto/nts/crypto/aes_siv.hpp"
#include "proto/nts/crypto/client_shared.hpp"

namespace ntplite::proto::nts {

class NtsClientAuthenticator final : public auth::ClientAuthenticator {
  public:
    explicit NtsClientAuthenticator(std::shared_ptr<NtsClientShared> shared)
        : shared_(std::move(shared)) {}
    auth::AuthKind kind() const override { return auth::AuthKind::kNts; }
    auth::AuthFailure seal(auth::RequestBuffer& request, proto::Random& rng) override;
    auth::AuthFailure open(std::span<const std::byte> reply) override;
    void describe(auth::AuthStatus& status) const override;

  private:
    std::shared_ptr<NtsClientShared> shared_;
    AesSiv aead_;
};

}  // namespace ntplite::proto::nts
