// RFC 5905 response validity tests (section 8 "packet sanity tests"), one named function each,
// so a log line and a counter can say exactly which one failed.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/packet.hpp"

namespace ntplite::proto {

enum class CheckFailure : uint8_t {
    kNone = 0,
    kBadModeOrVersion,        ///< not a mode 4 reply, or version outside 1..4
    kDuplicate,               ///< transmit timestamp equals the last one we accepted
    kBogusOrigin,             ///< origin does not match the transmit timestamp we sent
    kZeroTimestamp,           ///< receive or transmit timestamp is zero
    kKissOfDeath,             ///< stratum 0: a KoD (caller reads the code with kiss_code())
    kUnsynchronized,          ///< LI = 3, stratum >= 16 (or stratum 0 when tested alone)
    kExcessiveRootDistance,   ///< root_delay/2 + root_dispersion above the limit
    kReferenceAfterTransmit,  ///< reference time later than the transmit time (RFC 5905 8)
};
std::string_view to_string(CheckFailure f);

/// Test 1 (mode/version): a reply to a client request must be mode 4, version 1..4.
CheckFailure check_mode_version(const Packet& reply);
/// Test: replayed reply (same transmit timestamp as the last accepted one; a zero
/// `last_accepted_transmit` means none accepted yet and never matches).
CheckFailure check_duplicate(const Packet& reply, NtpTimestamp last_accepted_transmit);
/// Test: the origin must echo the transmit timestamp of our outstanding request (a zero
/// `our_transmit` means no request is outstanding: every reply is bogus).
CheckFailure check_origin(const Packet& reply, NtpTimestamp our_transmit);
/// Test: receive and transmit timestamps must be non-zero.
CheckFailure check_zero_timestamps(const Packet& reply);
/// Test: stratum 0 is a Kiss-o'-Death.
CheckFailure check_kod(const Packet& reply);
/// Test: LI = 3, stratum 0 or stratum >= 16 means the server has no time to give.
CheckFailure check_synchronized(const Packet& reply);
/// Test: the server's clock cannot have been set after it sent the reply (reference timestamp
/// later than the transmit timestamp, compared across era wraps).
CheckFailure check_reference_time(const Packet& reply);
/// Test: root distance = root_delay/2 + root_dispersion must not exceed `max_root_distance_ns`
/// (RFC 5905 MAXDIST is 1.5 s).
CheckFailure check_root_distance(const Packet& reply, int64_t max_root_distance_ns);

/// Runs every test above and returns the first failure (kNone if valid). The one order used by
/// both the daemon's sources and ntpq-lite: mode/version, origin, KoD, duplicate, zero
/// timestamps, reference time, synchronized, root distance. The origin test comes before KoD so
/// only a reply to our own request can kiss us; KoD is reported before "unsynchronized" and "zero
/// timestamp" so callers can act on the kiss code.
CheckFailure check_response(const Packet& reply, NtpTimestamp our_transmit,
                            NtpTimestamp last_accepted_transmit, int64_t max_root_distance_ns);

}  // namespace ntplite::proto
