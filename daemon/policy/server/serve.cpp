#include "daemon/policy/server/serve.hpp"

#include <optional>

#include "proto/packet.hpp"
#include "proto/refid.hpp"

namespace ntplite::daemon {

namespace {

// What a request's authentication comes to when there is no ServerAuth (no keys, or nobody to
// seal the reply): never a plain answer.
auth::RequestAuth without_keys(std::span<const std::byte> request, const proto::Packet& packet) {
    switch (auth::classify_tail(request, packet).kind) {
        case auth::TailKind::kNone:
            return auth::RequestAuth::kPlain;
        case auth::TailKind::kMac:
            return auth::RequestAuth::kUnknownKey;
        case auth::TailKind::kExtensions:
            return auth::RequestAuth::kUnsupported;
        case auth::TailKind::kCryptoNak:
        case auth::TailKind::kMalformed:
            break;
    }
    return auth::RequestAuth::kMalformed;
}

std::size_t decide(std::span<const std::byte> request, bool truncated,
                   const config::IpAddress& client, proto::NtpTimestamp rx_time,
                   int64_t now_mono_ns, const proto::SystemState& state, ServeContext& ctx,
                   std::span<std::byte> reply, std::optional<ClientOutcome>* outcome_for_client,
                   auth::ReplySeal* seal) {
    ServerCounters& c = *ctx.counters;
    c.received.bump();
    // Access control first: a denied client must not cost a parse or a rate-limit slot.
    if (ctx.acl && !ctx.acl->allowed(client)) {
        c.dropped_denied.bump();
        outcome_for_client->reset();
        return 0;
    }
    if (truncated) {
        c.dropped_malformed.bump();
        return 0;
    }
    auto packet = proto::parse(request);
    if (!packet) {
        if (packet.error() == proto::ParseError::kControlMode) {
            c.dropped_control.bump();
        } else {
            c.dropped_malformed.bump();
        }
        return 0;
    }
    if (packet->mode != proto::Mode::kClient && packet->mode != proto::Mode::kReserved) {
        c.dropped_not_client.bump();
        return 0;
    }
    bool kiss = false;
    if (ctx.limiter) {
        switch (ctx.limiter->check(client, now_mono_ns)) {
            case RateDecision::kAllow:
                break;
            case RateDecision::kLeak:
                c.rate_limited.bump();
                c.leaked.bump();
                break;
            case RateDecision::kKiss:
                c.rate_limited.bump();
                kiss = true;
                break;
            case RateDecision::kDrop:
                c.rate_limited.bump();
                c.dropped_rate.bump();
                return 0;
        }
    }
    // Authentication after the rate limit (a flood of MAC'd requests is limited before it costs a
    // MAC each), before any answer: a request whose authentication fails gets none at all.
    auth::ReplySeal want_seal;
    if (packet->mac_bytes != 0 || packet->extension_bytes != 0) {
        const auth::RequestAuth ra = ctx.auth && seal
                                         ? ctx.auth->check_request(request, *packet, &want_seal)
                                         : without_keys(request, *packet);
        switch (ra) {
            case auth::RequestAuth::kPlain:
            case auth::RequestAuth::kValidMac:
            case auth::RequestAuth::kNts:
                break;
            case auth::RequestAuth::kNtsNak:
                c.auth_nts_nak.bump();  // answered: the NAK tells the client to key again
                break;
            case auth::RequestAuth::kUnknownKey:
                c.auth_unknown_key.bump();
                return 0;
            case auth::RequestAuth::kBadMac:
                c.auth_bad_mac.bump();
                return 0;
            case auth::RequestAuth::kCryptoNak:
            case auth::RequestAuth::kMalformed:
                c.auth_malformed.bump();
                return 0;
            case auth::RequestAuth::kUnsupported:
                c.auth_unsupported.bump();
                return 0;
        }
    }
    std::size_t written = 0;
    auto outcome = proto::respond(*packet, rx_time, state, kiss, reply, &written);
    if (outcome == proto::RespondOutcome::kIgnoredNotClient || written == 0) {
        c.dropped_not_client.bump();
        return 0;
    }
    // Never answer with more bytes than were sent to us: no amplification, ever (a sealed reply
    // is as long as the request: same header, same key, same MAC length).
    const std::size_t sealed = written + (ctx.auth ? ctx.auth->seal_bytes(want_seal) : 0);
    if (sealed > request.size() || sealed > reply.size()) {
        c.dropped_malformed.bump();
        return 0;
    }
    if (outcome == proto::RespondOutcome::kKissRate) {
        c.kod_rate.bump();
        *outcome_for_client = ClientOutcome::kKod;
    } else {
        c.answered.bump();
        *outcome_for_client = ClientOutcome::kAnswered;
    }
    if (want_seal.kind != auth::AuthKind::kNone) c.auth_replies.bump();
    if (seal) *seal = want_seal;
    return written;
}

}  // namespace

std::size_t serve_one(std::span<const std::byte> request, bool truncated,
                      const config::IpAddress& client, proto::NtpTimestamp rx_time,
                      int64_t now_mono_ns, const proto::SystemState& state, ServeContext& ctx,
                      std::span<std::byte> reply, auth::ReplySeal* seal) {
    // Denied clients are not recorded (nullopt): a spoofed flood from outside the access lists
    // must not push the real clients out of the table.
    std::optional<ClientOutcome> outcome = ClientOutcome::kDropped;
    if (seal) *seal = auth::ReplySeal{};
    const std::size_t n =
        decide(request, truncated, client, rx_time, now_mono_ns, state, ctx, reply, &outcome, seal);
    if (ctx.clients && outcome) ctx.clients->record(client, now_mono_ns, *outcome);
    return n;
}

}  // namespace ntplite::daemon
