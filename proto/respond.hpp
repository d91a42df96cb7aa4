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
    uint8_t stratum = 16;               ///< 1..15 when synchronized; 16 = unsynchronized
    int8_t precision_log2 = -20;        ///< log2 seconds
    NtpShort root_delay{};
    NtpShort root_dispersion{};
    uint32_t refid = 0;                 ///< host byte order
    NtpTimestamp reference_time{};      ///< time of the last clock update
};

/// What to do with a request.
enum class RespondOutcome : uint8_t {
    kAnswered,        ///< `out` holds a normal mode 4 reply
    kKissRate,        ///< `out` holds a KoD RATE reply
    kIgnoredNotClient,  ///< not mode 3 (mode 6/7 etc.): drop
};

/// Build the reply to a parsed mode 3 `request` received at `receive_time`.
/// Version = request's version; origin = request's transmit; receive = receive_time; transmit is
/// set to receive_time here and should be patched with patch_transmit() right before sending.
/// An unsynchronized state is served as LI=3, stratum 0 on the wire (what ntpd and chronyd do,
/// and what clients treat as "do not use"). `kiss_rate` builds a KoD RATE instead.
/// `out` must hold kHeaderSize bytes; `*written` receives 48 (never more than the request).
RespondOutcome respond(const Packet& request, NtpTimestamp receive_time, const SystemState& state,
                       bool kiss_rate, std::span<std::byte> out, std::size_t* written);

}  // namespace ntplite::proto
