#include "proto/nts/crypto/client_auth.hpp"

namespace ntplite::proto::nts {

auth::AuthFailure NtsClientAuthenticator::seal(auth::RequestBuffer& request, proto::Random&) {
    NtsClientShared& s = *shared_;
    if (!s.keyed || s.session.cookies_left() == 0) {
        s.rekey_wanted = true;  // cookie exhaustion (or never keyed): a new key exchange
        // Waiting for the first key exchange is "no cookies"; "ke-failed" once one failed.
        return s.ke_state == "failed" ? auth::AuthFailure::kNtsKeFailed
                                      : auth::AuthFailure::kNtsNoCookies;
    }
    const std::size_t n = s.session.write_request(aead_, request.bytes);
    if (n == 0) return auth::AuthFailure::kCrypto;
    request.size = n;
    return auth::AuthFailure::kNone;
}

auth::AuthFailure NtsClientAuthenticator::open(std::span<const std::byte> reply) {
    NtsClientShared& s = *shared_;
    switch (s.session.check_reply(aead_, reply)) {
        case ClientVerdict::kAuthenticated:
            return auth::AuthFailure::kNone;
        case ClientVerdict::kNak:
            // The server no longer accepts our cookies (rotated keys, restart): key again.
            ++s.naks;
            s.keyed = false;
            s.session.cookies().clear();
            s.rekey_wanted = true;
            return auth::AuthFailure::kNtsNak;
        case ClientVerdict::kNotExpected:
            return auth::AuthFailure::kNtsBadUniqueId;
        case ClientVerdict::kBadAuth:
            return auth::AuthFailure::kBadMac;
        case ClientVerdict::kMalformed:
            return find_unique_id(reply).empty() ? auth::AuthFailure::kUnauthenticated
                                                 : auth::AuthFailure::kMalformed;
    }
    return auth::AuthFailure::kMalformed;
}

void NtsClientAuthenticator::describe(auth::AuthStatus& status) const {
    status.kind = auth::AuthKind::kNts;
    status.nts.cookies = static_cast<int>(shared_->session.cookies_left());
    status.nts.ke_state = shared_->ke_state;
    status.nts.ke_error = shared_->ke_error;
    status.nts.ke_exchanges = shared_->ke_exchanges;
    status.nts.ke_failures = shared_->ke_failures;
}

}  // namespace ntplite::proto::nts
