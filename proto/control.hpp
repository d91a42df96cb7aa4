// NTP mode 6 control messages (RFC 9327): header codec, response fragmentation, status words and
// the "name=value, name=value" variable list. Pure: no IO, no allocation, never throws, never
// reads or writes outside the given spans.
//
// Wire layout (12-byte header, then `count` data bytes padded with zeros to a multiple of 4, then
// optionally a MAC):
//   0: LI(2) VN(3) mode(3)=6    1: R(1) E(1) M(1) opcode(5)    2-3: sequence
//   4-5: status                 6-7: association id           8-9: offset    10-11: count
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

#include "proto/packet.hpp"

namespace ntplite::proto {

inline constexpr std::size_t kControlHeaderSize = 12;
/// Largest data section of one control message (RFC 9327 section 2: 468 octets).
inline constexpr std::size_t kControlMaxData = 468;
/// Largest control datagram we accept: header + data + padding + the biggest MAC.
inline constexpr std::size_t kControlMaxPacket =
    kControlHeaderSize + kControlMaxData + kMacSha1Size;

/// RFC 9327 section 2 opcodes (the 5-bit field of byte 1).
enum class ControlOpcode : uint8_t {
    kReserved = 0,
    kReadStatus = 1,
    kReadVariables = 2,
    kWriteVariables = 3,
    kReadClockVariables = 4,
    kWriteClockVariables = 5,
    kSetTrap = 6,
    kAsyncMessage = 7,
    kConfigure = 8,         ///< ntpd extension
    kSaveConfig = 9,        ///< ntpd extension
    kReadMru = 10,          ///< ntpd extension
    kReadOrderedList = 11,  ///< ntpd extension
    kRequestNonce = 12,     ///< ntpd extension
    kUnsetTrap = 31,
};

/// The 12-byte header, fields as on the wire (host byte order).
struct ControlHeader {
    LeapIndicator leap = LeapIndicator::kNone;
    uint8_t version = 2;          ///< 1..4; ntpq sends 2
    bool response = false;        ///< R bit: set in responses
    bool error = false;           ///< E bit: the response reports an error (status holds the code)
    bool more = false;            ///< M bit: more fragments follow
    uint8_t opcode = 0;           ///< 0..31, see ControlOpcode
    uint16_t sequence = 0;        ///< chosen by the requester, echoed in every response fragment
    uint16_t status = 0;          ///< system/peer status word, or error code when `error`
    uint16_t association_id = 0;  ///< 0 = the system, otherwise a peer
    uint16_t offset = 0;          ///< byte offset of this fragment's data in the whole response
    uint16_t count = 0;           ///< data bytes in this fragment

    friend bool operator==(const ControlHeader&, const ControlHeader&) = default;
};

/// A parsed control message. `data` points into the datagram that was parsed.
struct ControlMessage {
    ControlHeader header;
    std::span<const std::byte> data;  ///< exactly header.count bytes
    uint16_t mac_bytes = 0;           ///< 0, or 20/24 (key id + digest) after the padded data
};

/// Why a datagram is not a well-formed control message.
enum class ControlParseError : uint8_t {
    kTooShort,       ///< fewer than 12 bytes
    kTooLong,        ///< more than kControlMaxPacket bytes
    kNotControl,     ///< mode is not 6
    kBadVersion,     ///< VN not in 1..4
    kCountTooLarge,  ///< count above kControlMaxData
    kTruncatedData,  ///< count runs past the end of the datagram
    kBadTrailer,     ///< bytes after the data are neither padding nor padding + MAC
};
std::string_view to_string(ControlParseError e);

/// Parse one mode 6 datagram. Padding after the data is optional (to multiple of 4, or of 8 when a
/// MAC follows, as ntpq pads before its MAC); whatever follows the padding must be a 20/24-byte
/// MAC.
std::expected<ControlMessage, ControlParseError> parse_control(std::span<const std::byte> datagram);

/// Write header + `data` + zero padding to a multiple of 4 into `out`. The header's `count` is
/// taken from data.size(). Returns bytes written, or 0 if data exceeds kControlMaxData or `out`
/// is too small.
std::size_t serialize_control(const ControlHeader& header, std::span<const std::byte> data,
                              std::span<std::byte> out);

/// Number of response fragments needed for `total_data_bytes` of response data (at least 1: an
/// empty response is one fragment with count 0). Data beyond 65535 bytes cannot be addressed by the
/// 16-bit offset field and is not sent (see control_fragment).
std::size_t control_fragment_count(std::size_t total_data_bytes);

/// Build response fragment `index` (0-based) for `request`: R bit set, opcode/sequence/association
/// id/version echoed from the request, `status` and `error` as given, offset = index * 468, M bit
/// on every fragment but the last. `total_data` is the whole response data (truncated to 65535
/// bytes). Returns the datagram length written into `out`, or 0 if `index` is out of range or `out`
/// is smaller than the fragment (kControlHeaderSize + kControlMaxData always suffices).
std::size_t control_fragment(const ControlHeader& request, uint16_t status, bool error,
                             std::span<const std::byte> total_data, std::size_t index,
                             std::span<std::byte> out);

/// RFC 9327 section 2.4 error codes (status word of a response with the E bit).
enum class ControlError : uint8_t {
    kUnspecified = 0,
    kAuthFailed = 1,
    kInvalidFormat = 2,
    kInvalidOpcode = 3,
    kUnknownAssociation = 4,
    kUnknownVariable = 5,
    kInvalidValue = 6,
    kPermissionDenied = 7,
};
/// Error status word: error code in the high byte (RFC 9327 section 2.4).
constexpr uint16_t control_error_status(ControlError e) {
    return static_cast<uint16_t>(static_cast<uint8_t>(e) << 8);
}

/// System status word clock sources (RFC 9327 section 2.1.1, 6 bits).
enum class ClockSource : uint8_t {
    kUnspecified = 0,
    kAtomicClock = 1,
    kLfRadio = 2,
    kHfRadio = 3,
    kUhfSatellite = 4,
    kLocalNet = 5,
    kUdpNtp = 6,
    kUdpTime = 7,
    kWristwatch = 8,
    kModem = 9,
};

/// System status word: LI(2) | clock source(6) | event counter(4) | last event code(4).
/// Fields wider than their slot are masked.
constexpr uint16_t system_status_word(LeapIndicator leap, ClockSource source, uint8_t event_count,
                                      uint8_t event_code) {
    return static_cast<uint16_t>((static_cast<unsigned>(leap) & 0x3) << 14 |
                                 (static_cast<unsigned>(source) & 0x3f) << 8 |
                                 (event_count & 0xfu) << 4 | (event_code & 0xfu));
}

/// Peer selection status, 3 bits of the peer status word (RFC 9327 section 2.1.2).
enum class PeerSelection : uint8_t {
    kRejected = 0,
    kFalseticker = 1,     ///< passed sanity checks, discarded by intersection
    kExcess = 2,          ///< passed intersection, discarded as excess by the cluster
    kOutlier = 3,         ///< discarded by the cluster as an outlier
    kCandidate = 4,       ///< survivor, combined
    kSelectedBackup = 5,  ///< selected, but its distance exceeds the maximum
    kSystemPeer = 6,      ///< the current synchronization source
    kPpsPeer = 7,
};

/// Peer status bits (the high 5 bits of the peer status word).
struct PeerStatusFlags {
    bool configured = false;    ///< 0x8000: persistent (from configuration)
    bool auth_enabled = false;  ///< 0x4000
    bool authentic = false;     ///< 0x2000
    bool reachable = false;     ///< 0x1000
    bool broadcast = false;     ///< 0x0800
};

/// Peer status word: status bits(5) | selection(3) | event counter(4) | last event code(4).
constexpr uint16_t peer_status_word(PeerStatusFlags f, PeerSelection sel, uint8_t event_count,
                                    uint8_t event_code) {
    return static_cast<uint16_t>(
        (f.configured ? 0x8000u : 0u) | (f.auth_enabled ? 0x4000u : 0u) |
        (f.authentic ? 0x2000u : 0u) | (f.reachable ? 0x1000u : 0u) | (f.broadcast ? 0x0800u : 0u) |
        (static_cast<unsigned>(sel) & 0x7u) << 8 | (event_count & 0xfu) << 4 | (event_code & 0xfu));
}

/// Builds a "name=value, name=value" variable list (RFC 9327 section 2.3 data format) into a
/// caller's buffer. Once a variable does not fit, the list stops growing (no partial variable)
/// and overflowed() reports it.
class VarListWriter {
  public:
    explicit VarListWriter(std::span<char> buffer) : buf_(buffer) {}

    /// name=value, value written verbatim (numbers, addresses).
    bool add_raw(std::string_view name, std::string_view value);
    /// name="value": for strings (ntpq shows them with quotes). A '"' in value is refused.
    bool add_quoted(std::string_view name, std::string_view value);
    /// name=<decimal>
    bool add_int(std::string_view name, int64_t value);
    /// name=<fixed point with `decimals` digits> for a value in nano-units scaled to milli etc.:
    /// add_fixed("offset", -1234567, 6) writes offset=-1.234567.
    bool add_fixed(std::string_view name, int64_t scaled_value, int decimals);
    /// name=0x<8 hex digits>, as ntpq prints reference timestamps' halves and refids.
    bool add_hex(std::string_view name, uint64_t value, int digits);

    std::string_view view() const { return {buf_.data(), size_}; }
    std::size_t size() const { return size_; }
    bool overflowed() const { return overflowed_; }

  private:
    bool append(std::initializer_list<std::string_view> parts);

    std::span<char> buf_;
    std::size_t size_ = 0;
    bool overflowed_ = false;
};

/// Reads a "name=value, name=value" list one variable at a time (whitespace and CR/LF around
/// separators are skipped, quotes are removed from quoted values; a value may contain ", " inside
/// quotes). For ntpq-lite: `while (auto v = r.next()) use(v->name, v->value);`
class VarListReader {
  public:
    struct Variable {
        std::string_view name;
        std::string_view value;  ///< empty for a bare name (as in a READVAR request)
    };
    explicit VarListReader(std::string_view text) : rest_(text) {}
    /// The next variable, or nullopt at the end. Malformed input ends the list, never crashes.
    std::optional<Variable> next();

  private:
    std::string_view rest_;
};

}  // namespace ntplite::proto
