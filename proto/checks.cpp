// RFC 5905 section 8 packet sanity tests, one function each.
#include "proto/checks.hpp"

#include "proto/refid.hpp"

namespace ntplite::proto {

std::string_view to_string(CheckFailure f) {
    switch (f) {
        case CheckFailure::kNone:
            return "none";
        case CheckFailure::kBadModeOrVersion:
            return "bad-mode-or-version";
        case CheckFailure::kDuplicate:
            return "duplicate";
        case CheckFailure::kBogusOrigin:
            return "bogus-origin";
        case CheckFailure::kZeroTimestamp:
            return "zero-timestamp";
        case CheckFailure::kKissOfDeath:
            return "kiss-of-death";
        case CheckFailure::kUnsynchronized:
            return "unsynchronized";
        case CheckFailure::kExcessiveRootDistance:
            return "excessive-root-distance";
        case CheckFailure::kReferenceAfterTransmit:
            return "reference-after-transmit";
    }
    return "unknown";
}

CheckFailure check_mode_version(const Packet& reply) {
    if (reply.mode != Mode::kServer) return CheckFailure::kBadModeOrVersion;
    if (reply.version < 1 || reply.version > 4) return CheckFailure::kBadModeOrVersion;
    return CheckFailure::kNone;
}

CheckFailure check_duplicate(const Packet& reply, NtpTimestamp last_accepted_transmit) {
    // A zero "last accepted" means nothing was accepted yet; a zero transmit is check_zero's job.
    if (!last_accepted_transmit.is_zero() && reply.transmit == last_accepted_transmit) {
        return CheckFailure::kDuplicate;
    }
    return CheckFailure::kNone;
}

CheckFailure check_origin(const Packet& reply, NtpTimestamp our_transmit) {
    // With no request outstanding (zero) every reply is bogus, even one echoing zero.
    if (our_transmit.is_zero() || reply.origin != our_transmit) return CheckFailure::kBogusOrigin;
    return CheckFailure::kNone;
}

CheckFailure check_zero_timestamps(const Packet& reply) {
    if (reply.receive.is_zero() || reply.transmit.is_zero()) return CheckFailure::kZeroTimestamp;
    return CheckFailure::kNone;
}

CheckFailure check_reference_time(const Packet& reply) {
    // Wrapping difference: correct across the 2036 era boundary. A zero reference time is
    // left to check_synchronized's judgement (some servers send it before their first update).
    if (reply.reference.is_zero()) return CheckFailure::kNone;
    const auto ahead = static_cast<int64_t>(reply.reference.raw - reply.transmit.raw);
    return ahead > 0 ? CheckFailure::kReferenceAfterTransmit : CheckFailure::kNone;
}

CheckFailure check_kod(const Packet& reply) {
    return reply.stratum == 0 ? CheckFailure::kKissOfDeath : CheckFailure::kNone;
}

CheckFailure check_synchronized(const Packet& reply) {
    // Stratum 0 also carries no time; check_response reports it as a KoD first.
    if (reply.leap == LeapIndicator::kUnsynchronized || reply.stratum == 0 || reply.stratum >= 16) {
        return CheckFailure::kUnsynchronized;
    }
    return CheckFailure::kNone;
}

CheckFailure check_root_distance(const Packet& reply, int64_t max_root_distance_ns) {
    // Both terms are below 2^16 s, so the sum cannot overflow.
    const int64_t distance_ns = reply.root_delay.to_ns() / 2 + reply.root_dispersion.to_ns();
    return distance_ns > max_root_distance_ns ? CheckFailure::kExcessiveRootDistance
                                              : CheckFailure::kNone;
}

CheckFailure check_response(const Packet& reply, NtpTimestamp our_transmit,
                            NtpTimestamp last_accepted_transmit, int64_t max_root_distance_ns) {
    // Origin is checked before KoD so an off-path spoofer cannot kiss us; KoD comes before the
    // zero-timestamp test because KoD replies need not carry real receive/transmit times.
    const CheckFailure results[] = {
        check_mode_version(reply),
        check_origin(reply, our_transmit),
        check_kod(reply),
        check_duplicate(reply, last_accepted_transmit),
        check_zero_timestamps(reply),
        check_reference_time(reply),
        check_synchronized(reply),
        check_root_distance(reply, max_root_distance_ns),
    };
    for (CheckFailure f : results) {
        if (f != CheckFailure::kNone) return f;
    }
    return CheckFailure::kNone;
}

}  // namespace ntplite::proto
