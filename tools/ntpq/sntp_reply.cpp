#include "tools/ntpq/sntp_reply.hpp"

#include "proto/checks.hpp"
#include "proto/refid.hpp"

namespace ntplite::tools {

std::string_view to_token(SntpError e) {
    switch (e) {
        case SntpError::kResolveFailed:
            return "resolve_failed";
        case SntpError::kNoAnswer:
            return "no_answer";
        case SntpError::kKissOfDeath:
            return "kiss_of_death";
        case SntpError::kUnsynchronized:
            return "unsynchronized";
        case SntpError::kInvalidResponse:
            return "invalid_response";
        case SntpError::kNetwork:
            return "network";
    }
    return "unknown";
}

std::size_t build_request(proto::NtpTimestamp transmit_cookie, std::span<std::byte> out) {
    // RFC 4330 section 5: a client request may leave everything but VN, mode and transmit zero.
    proto::Packet p;
    p.leap = proto::LeapIndicator::kNone;
    p.version = 4;
    p.mode = proto::Mode::kClient;
    p.transmit = transmit_cookie;
    return proto::serialize(p, out);
}

namespace {

ReplyVerdict ignored(std::string message) {
    ReplyVerdict v;
    v.kind = ReplyVerdict::Kind::kIgnored;
    v.failure = {SntpError::kInvalidResponse, std::move(message), 0};
    return v;
}

ReplyVerdict rejected(SntpError e, std::string message, uint32_t kiss = 0) {
    ReplyVerdict v;
    v.kind = ReplyVerdict::Kind::kRejected;
    v.failure = {e, std::move(message), kiss};
    return v;
}

}  // namespace

ReplyVerdict evaluate_reply(std::span<const std::byte> datagram, const RequestContext& ctx) {
    auto parsed = proto::parse(datagram);
    if (!parsed) {
        return ignored("malformed reply: " + std::string(proto::to_string(parsed.error())));
    }
    const proto::Packet& p = *parsed;
    // Anything that is not an answer to *this* request must not end the wait: a spoofed or
    // stale datagram would otherwise let an attacker suppress the real answer.
    if (auto f = proto::check_mode_version(p); f != proto::CheckFailure::kNone) {
        return ignored("reply rejected: " + std::string(proto::to_string(f)));
    }
    if (auto f = proto::check_origin(p, ctx.transmit_cookie); f != proto::CheckFailure::kNone) {
        return ignored("reply rejected: " + std::string(proto::to_string(f)));
    }
    // Checked before the full test list: a KoD may legitimately carry zero timestamps.
    // An unsynchronized server (chronyd, ntpd, ntpd-lite) answers with stratum 0, LI=3 and a
    // refid of 0 or "INIT": formally a KoD, but what it says is "I have no time yet", which
    // users must see as such (exit status "unsynchronized", not "kiss-o'-death").
    if (proto::is_kod(p) && (p.refid == 0 || p.refid == proto::refid_from_ascii("INIT"))) {
        return rejected(SntpError::kUnsynchronized,
                        "server is unsynchronized (leap indicator " +
                            std::to_string(static_cast<int>(p.leap)) + ", stratum 0, refid " +
                            (p.refid == 0 ? std::string("0") : std::string("INIT")) + ")");
    }
    if (proto::is_kod(p)) {
        return rejected(SntpError::kKissOfDeath,
                        "server sent Kiss-o'-Death " + proto::describe_kiss(p.refid), p.refid);
    }
    auto f = proto::check_response(p, ctx.transmit_cookie, ctx.last_accepted_transmit,
                                   ctx.max_root_distance_ns);
    if (f == proto::CheckFailure::kUnsynchronized) {
        return rejected(SntpError::kUnsynchronized, "server is unsynchronized (leap indicator " +
                                                        std::to_string(static_cast<int>(p.leap)) +
                                                        ", stratum " + std::to_string(p.stratum) +
                                                        ")");
    }
    if (f != proto::CheckFailure::kNone) {
        return rejected(SntpError::kInvalidResponse,
                        "invalid reply: " + std::string(proto::to_string(f)));
    }
    proto::Exchange e{
        .t1_client_transmit = proto::NtpTimestamp::from_unix_ns(ctx.t1_unix_ns),
        .t2_server_receive = p.receive,
        .t3_server_transmit = p.transmit,
        .t4_client_receive = proto::NtpTimestamp::from_unix_ns(ctx.t4_unix_ns),
    };
    auto r = proto::compute_exchange(e);
    // Absurd timestamps (a server "holding" the request for minutes, or negative time) give no
    // usable measurement (issue 14: the same bound as the daemon's sync path).
    if (!proto::exchange_sane(r)) {
        return rejected(SntpError::kInvalidResponse,
                        "invalid reply: " +
                            std::string(proto::to_string(proto::CheckFailure::kInsaneExchange)) +
                            " (round-trip delay " + std::to_string(r.delay_ns) + " ns)");
    }
    ReplyVerdict v;
    v.kind = ReplyVerdict::Kind::kAccepted;
    v.sample.reply = p;
    v.sample.t1_unix_ns = ctx.t1_unix_ns;
    v.sample.t4_unix_ns = ctx.t4_unix_ns;
    v.sample.offset_ns = r.offset_ns;
    v.sample.delay_ns = r.delay_ns;
    return v;
}

}  // namespace ntplite::tools
