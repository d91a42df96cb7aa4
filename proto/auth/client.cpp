#include "proto/auth/client.hpp"

#include <optional>

#include "proto/auth/mac.hpp"
#include "proto/auth/tail.hpp"
#include "proto/wire.hpp"

namespace ntplite::auth {

const char* to_string(AuthKind k) {
    switch (k) {
        case AuthKind::kNone:
            return "none";
        case AuthKind::kKey:
            return "key";
        case AuthKind::kNts:
            return "nts";
    }
    return "?";
}

const char* to_string(AuthFailure f) {
    switch (f) {
        case AuthFailure::kNone:
            return "none";
        case AuthFailure::kUnauthenticated:
            return "unauthenticated";
        case AuthFailure::kUnexpectedAuth:
            return "unexpected-auth";
        case AuthFailure::kWrongKey:
            return "wrong-key";
        case AuthFailure::kBadMac:
            return "bad-mac";
        case AuthFailure::kCryptoNak:
            return "crypto-nak";
        case AuthFailure::kMalformed:
            return "malformed";
        case AuthFailure::kNoKey:
            return "no-key";
        case AuthFailure::kCrypto:
            return "crypto";
        case AuthFailure::kUnsupported:
            return "unsupported";
        case AuthFailure::kNtsNak:
            return "nts-nak";
        case AuthFailure::kNtsNoCookies:
            return "nts-no-cookies";
        case AuthFailure::kNtsBadUniqueId:
            return "nts-bad-unique-id";
        case AuthFailure::kNtsKeFailed:
            return "nts-ke-failed";
    }
    return "?";
}

namespace {

// Plain NTP. Like chrony, a reply carrying authentication we did not ask for is refused: a
// server (or an attacker) must not be able to make us accept a packet we cannot check as if it
// were a plain one.
class NoAuthenticator final : public ClientAuthenticator {
  public:
    AuthKind kind() const override { return AuthKind::kNone; }
    AuthFailure seal(RequestBuffer&, proto::Random&) override { return AuthFailure::kNone; }
    AuthFailure open(std::span<const std::byte> reply) override {
        auto p = proto::parse(reply);
        if (!p) return AuthFailure::kMalformed;
        return p->extension_bytes == 0 && p->mac_bytes == 0 ? AuthFailure::kNone
                                                            : AuthFailure::kUnexpectedAuth;
    }
    void describe(AuthStatus& st) const override { st.kind = AuthKind::kNone; }
};

// A symmetric key: requests carry key id + MAC over the header; replies must carry a valid MAC
// by the same key id (RFC 5905 7.3, RFC 8573).
class SymmetricAuthenticator final : public ClientAuthenticator {
  public:
    SymmetricAuthenticator(uint32_t key_id, const SymmetricKey* key) : key_id_(key_id) {
        if (key) {
            std::vector<SymmetricKey> one{*key};
            mac_.emplace(KeySet(std::move(one)));
        }
    }
    AuthKind kind() const override { return AuthKind::kKey; }

    AuthFailure seal(RequestBuffer& request, proto::Random&) override {
        if (!mac_) return AuthFailure::kNoKey;
        const std::size_t digest = digest_bytes(mac_->keys().keys()[0].type);
        if (request.size != proto::kHeaderSize ||
            request.size + kKeyIdBytes + digest > request.bytes.size())
            return AuthFailure::kCrypto;
        std::span<std::byte> all(request.bytes);
        proto::wire::store_be32(all, request.size, key_id_);
        const std::size_t n =
            mac_->compute(0, all.first(request.size), all.subspan(request.size + kKeyIdBytes));
        if (n != digest) return AuthFailure::kCrypto;
        request.size += kKeyIdBytes + digest;
        return AuthFailure::kNone;
    }

    AuthFailure open(std::span<const std::byte> reply) override {
        if (!mac_) return AuthFailure::kNoKey;
        auto p = proto::parse(reply);
        if (!p) return AuthFailure::kMalformed;
        const Tail t = classify_tail(reply, *p);
        switch (t.kind) {
            case TailKind::kNone:
            case TailKind::kExtensions:
                return AuthFailure::kUnauthenticated;
            case TailKind::kCryptoNak:
                return AuthFailure::kCryptoNak;
            case TailKind::kMalformed:
                return AuthFailure::kMalformed;
            case TailKind::kMac:
                break;
        }
        if (t.key_id != key_id_) return AuthFailure::kWrongKey;
        const auto digest = reply.subspan(t.mac_offset + kKeyIdBytes);
        return mac_->verify(0, reply.first(t.mac_offset), digest) ? AuthFailure::kNone
                                                                  : AuthFailure::kBadMac;
    }

    void describe(AuthStatus& st) const override {
        st.kind = AuthKind::kKey;
        st.key_id = key_id_;
    }

  private:
    uint32_t key_id_;
    std::optional<MacEngine> mac_;
};

// A method this build does not implement: sends nothing, accepts nothing (never falls back to
// plain NTP).
class RefusingAuthenticator final : public ClientAuthenticator {
  public:
    explicit RefusingAuthenticator(AuthKind kind) : kind_(kind) {}
    AuthKind kind() const override { return kind_; }
    AuthFailure seal(RequestBuffer&, proto::Random&) override { return AuthFailure::kUnsupported; }
    AuthFailure open(std::span<const std::byte>) override { return AuthFailure::kUnsupported; }
    void describe(AuthStatus& st) const override { st.kind = kind_; }

  private:
    AuthKind kind_;
};

}  // namespace

std::unique_ptr<ClientAuthenticator> make_client_authenticator(const SourceAuthConfig& cfg,
                                                               const ClientAuthContext& ctx) {
    switch (cfg.kind) {
        case AuthKind::kNone:
            return std::make_unique<NoAuthenticator>();
        case AuthKind::kKey:
            return std::make_unique<SymmetricAuthenticator>(
                cfg.key_id, ctx.keys ? ctx.keys->find(cfg.key_id) : nullptr);
        case AuthKind::kNts:
            if (ctx.make_nts) {
                if (auto a = ctx.make_nts(cfg)) return a;
            }
            break;
    }
    return std::make_unique<RefusingAuthenticator>(cfg.kind);
}

}  // namespace ntplite::auth
