// The read-only NTP control (mode 6, RFC 9327) responder: one request datagram and a
// MonitorSnapshot in, the response fragments out. Pure (no IO, no clock reads), so ntpq's view of
// the daemon is unit-tested byte for byte. Only READSTAT and READVAR are served; every other
// opcode (write, trap, configure, mrulist, nonce...) gets an error response, never an action.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/policy/monitor/control_snapshot.hpp"
#include "proto/control.hpp"

namespace ntplite::daemon {

/// What became of one mode 6 datagram.
enum class Mode6Outcome : uint8_t {
    kAnswered,     ///< normal response (one or more fragments)
    kErrorAnswer,  ///< error response (E bit) for an opcode, association or variable we refuse
    kDropped,      ///< not answered: malformed, a response, or a fragment of a longer request
};
std::string_view to_string(Mode6Outcome o);

/// One response: its datagrams in order (each at most kControlHeaderSize + kControlMaxData).
struct Mode6Answer {
    Mode6Outcome outcome = Mode6Outcome::kDropped;
    std::vector<std::vector<std::byte>> datagrams;
    std::size_t total_bytes() const;
};

/// Answers one mode 6 request from a client that is allowed to ask (the caller checks the
/// [control] allow list first).
Mode6Answer answer_mode6(std::span<const std::byte> request, const MonitorSnapshot& snapshot);

/// The "name=value, ..." text of the system variables (association 0), all or only `wanted`
/// names (comma separated, as ntpq sends them). Unknown wanted names: `unknown` is set.
std::string system_variables(const MonitorSnapshot& m, std::string_view wanted, bool* unknown);
/// The same for one source.
std::string peer_variables(const MonitorSnapshot& m, const SourceView& v, std::string_view wanted,
                           bool* unknown);

/// Status words as ntpq decodes them.
uint16_t system_status(const MonitorSnapshot& m);
uint16_t peer_status(const MonitorSnapshot& m, const SourceView& v);
/// The selection code of a source state (RFC 9327 section 2.1.2).
proto::PeerSelection selection_of(clock::SourceState s);

/// "0xe4f1c3a2.12345678": an NTP timestamp as ntpd sends it (ntpq converts it to a date).
std::string lfp_hex(proto::NtpTimestamp t);
/// How ntpd sends a refid: a dotted quad from stratum 2 up, else up to 4 ASCII letters.
std::string refid_text(uint32_t refid, uint8_t stratum);

}  // namespace ntplite::daemon
