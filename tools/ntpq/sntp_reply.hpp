// The pure half of an SNTP client exchange (RFC 4330 / RFC 5905): build a request, judge a reply.
// No IO and no clock reads: the caller passes the bytes and its own timestamps, so every rule can
// be unit-tested with fabricated packets. sntp_client.hpp does the socket half.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/exchange.hpp"
#include "proto/packet.hpp"
#include "proto/timestamp.hpp"

namespace ntplite::tools {

/// Why a query produced no sample. Each maps to one documented exit status (exit_codes.hpp).
enum class SntpError : uint8_t {
    kResolveFailed,    ///< the name did not resolve (or the resolver timed out)
    kNoAnswer,         ///< no reply within the timeout, or the port was unreachable
    kKissOfDeath,      ///< the server answered with a Kiss-o'-Death (stratum 0)
    kUnsynchronized,   ///< the server answered but has no time to give (LI=3 or stratum >= 16)
    kInvalidResponse,  ///< every reply failed a validity test (bad origin, zero timestamps, ...)
    kNetwork,          ///< a local socket error (cannot open, bind or send)
};
/// Stable lower-case token, used in JSON output: "no_answer", "kiss_of_death", ...
std::string_view to_token(SntpError e);

/// One failed query: what kind of failure and a one-line message for people.
struct SntpFailure {
    SntpError error = SntpError::kNoAnswer;
    std::string message;      ///< one line, no trailing newline
    uint32_t kiss_refid = 0;  ///< the raw 4-letter kiss code when error == kKissOfDeath
};

/// One valid measurement.
struct SntpSample {
    proto::Packet reply;     ///< the server's header as received
    int64_t t1_unix_ns = 0;  ///< our real transmit time (local clock, Unix ns)
    int64_t t4_unix_ns = 0;  ///< our receive time (kernel timestamp if available, Unix ns)
    int64_t offset_ns = 0;   ///< > 0: the server's clock is ahead of ours
    int64_t delay_ns = 0;    ///< round-trip delay minus the server's processing time
    bool kernel_rx_timestamp = false;  ///< t4 came from SO_TIMESTAMPNS, not a later clock read
    std::string server_address;        ///< numeric address that answered ("127.0.0.1", "::1")
    uint16_t server_port = 0;
};

/// Root distance above which a reply is not used (RFC 5905 MAXDIST, 1.5 s).
inline constexpr int64_t kMaxRootDistance_ns = 1'500'000'000;

/// Writes a 48-byte mode 3 (client) request into `out` whose transmit field carries
/// `transmit_cookie` (a random value, not our clock: the server echoes it as origin, and an
/// off-path attacker cannot guess it). Returns the bytes written (48), 0 if `out` is too small.
std::size_t build_request(proto::NtpTimestamp transmit_cookie, std::span<std::byte> out);

/// What the caller knows about the outstanding request when a datagram arrives.
struct RequestContext {
    proto::NtpTimestamp transmit_cookie;         ///< the random transmit value we sent
    proto::NtpTimestamp last_accepted_transmit;  ///< server transmit of the previous valid sample
    int64_t t1_unix_ns = 0;                      ///< real local send time
    int64_t t4_unix_ns = 0;                      ///< local receive time of this datagram
    int64_t max_root_distance_ns = kMaxRootDistance_ns;
};

/// The judgement on one received datagram.
struct ReplyVerdict {
    enum class Kind : uint8_t {
        kAccepted,  ///< a valid sample; `sample` is filled (without server address/port)
        kIgnored,   ///< not an answer to our request (malformed, wrong mode, foreign origin):
                    ///< keep waiting for the real one; `failure` says why
        kRejected,  ///< the answer to our request, but unusable (KoD, unsynchronized, invalid)
    };
    Kind kind = Kind::kIgnored;
    SntpSample sample;
    SntpFailure failure;
};

/// Parses and checks one datagram with proto's validity tests (check_response). A KoD is reported
/// as a rejection carrying its kiss code even if its timestamps are zero. Offset and delay use
/// the real T1 from `ctx`, not the random cookie.
ReplyVerdict evaluate_reply(std::span<const std::byte> datagram, const RequestContext& ctx);

}  // namespace ntplite::tools
