// The server's answer to one client request. Pure: the caller supplies receive time and the
// system state; no allocation, no exceptions (this is the server hot path).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/packet.hpp"

namespace ntplite::proto {

/// What the server advertises about its own clock. Written by the sync engine, read (as a
/// whole snapshot) by server threads.
struct SystemState {
    LeapIndicator leap = LeapIndicator::kUnsynchronized;
    uint8_t stratum = 16;         ///< 1..15 when synchronized; 16 = unsynchronized
    int8_t precision_log2 = -20;  ///< log2 seconds
    NtpShort root_delay{};
    NtpShort root_dispersion{};
    uint32_t refid = 0;             ///< host byte order
    NtpTimestamp reference_time{};  ///< time of the last clock update
};

/// What to do with a request.
enum class RespondOutcome : uint8_t {
    kAnswered,          ///< `out` holds a normal mode 4 reply
    kKissRate,          ///< `out` holds a KoD RATE reply
    kIgnoredNotClient,  ///< not mode 3 (mode 6/7 etc.): drop
};

/// Poll interval advertised in replies: the request's poll clamped to RFC 5905 MINPOLL..MAXPOLL,
/// so a client sending a tiny or garbage poll is not told that polling that fast is fine.
inline constexpr int8_t kMinReplyPoll_log2 = 4;
inline constexpr int8_t kMaxReplyPoll_log2 = 17;

/// Build the reply to a parsed mode 3 `request` received at `receive_time`.
/// Version = request's version; origin = request's transmit; receive = receive_time; transmit is
/// set to receive_time here and should be patched with patch_transmit() right before sending.
/// An unsynchronized state (leap kUnsynchronized, or stratum 0 or >= 16) is served as LI=3,
/// stratum 0, refid 0 and zero reference time on the wire, root delay/dispersion as in `state`:
/// that is byte for byte what chronyd 4.3 sends with no sources (checked on loopback), and ntpdig
/// drops it ("stratum 0, probable KOD packet"). `kiss_rate` builds a KoD RATE instead (LI=3,
/// stratum 0, refid "RATE", zero root delay/dispersion/reference, timestamps as a normal reply so
/// the client can match it to its request).
/// NTPv1 had no mode field (the bits were zero), so a version 1 request with mode 0 is answered
/// as a client request (RFC 1305 appendix B compatibility); every other non-mode-3 request is
/// kIgnoredNotClient. Replies are always mode 4.
/// `out` must hold kHeaderSize bytes; `*written` receives 48 (never more than the request, which
/// parsed and so is at least 48 bytes). If `out` is too small nothing is written, `*written` is 0
/// and the outcome is kIgnoredNotClient (a caller bug, but never an overrun).
RespondOutcome respond(const Packet& request, NtpTimestamp receive_time, const SystemState& state,
                       bool kiss_rate, std::span<std::byte> out, std::size_t* written);

}  // namespace ntplite::proto
