// Server reply to one client request (RFC 5905 section 9, "fast_xmit" style: no per-client state).
#include "proto/respond.hpp"

#include <algorithm>

#include "proto/refid.hpp"

namespace ntplite::proto {

namespace {

bool is_client_request(const Packet& request) {
    if (request.mode == Mode::kClient) return request.version >= 1 && request.version <= 4;
    // NTPv1 (RFC 1059) packets have no mode: the bits are zero.
    return request.mode == Mode::kReserved && request.version == 1;
}

bool state_is_synchronized(const SystemState& state) {
    return state.leap != LeapIndicator::kUnsynchronized && state.stratum >= 1 && state.stratum < 16;
}

}  // namespace

RespondOutcome respond(const Packet& request, NtpTimestamp receive_time, const SystemState& state,
                       bool kiss_rate, std::span<std::byte> out, std::size_t* written) {
    if (written != nullptr) *written = 0;
    if (out.size() < kHeaderSize || !is_client_request(request))
        return RespondOutcome::kIgnoredNotClient;

    Packet reply;
    reply.version = request.version;
    reply.mode = Mode::kServer;
    reply.poll_log2 = std::clamp(request.poll_log2, kMinReplyPoll_log2, kMaxReplyPoll_log2);
    reply.precision_log2 = state.precision_log2;
    reply.origin = request.transmit;
    reply.receive = receive_time;
    reply.transmit = receive_time;  // patched with the real T3 right before sending

    RespondOutcome outcome = RespondOutcome::kAnswered;
    if (kiss_rate) {
        reply.leap = LeapIndicator::kUnsynchronized;
        reply.stratum = 0;
        reply.refid = refid_from_ascii("RATE");
        outcome = RespondOutcome::kKissRate;
    } else if (!state_is_synchronized(state)) {
        reply.leap = LeapIndicator::kUnsynchronized;
        reply.stratum = 0;
        reply.root_delay = state.root_delay;
        reply.root_dispersion = state.root_dispersion;
    } else {
        reply.leap = state.leap;
        reply.stratum = state.stratum;
        reply.root_delay = state.root_delay;
        reply.root_dispersion = state.root_dispersion;
        reply.refid = state.refid;
        reply.reference = state.reference_time;
    }
    const std::size_t n = serialize(reply, out.first(kHeaderSize));
    if (written != nullptr) *written = n;
    return outcome;
}

}  // namespace ntplite::proto
