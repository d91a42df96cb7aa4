// NTS Key Establishment records (RFC 8915 section 4): framing, the client's request and the
// server's response. Pure: no IO, no allocation, never throws, never reads or writes outside the
// given spans. Bounded: a message is at most kKeMaxMessage bytes, at most kKeMaxCookies cookies of
// at most kKeMaxCookieSize bytes each are kept, and at most kKeMaxAeads algorithms are read.
//
// Record layout: C(1) | type(15) | body length(16) | body. A message is a sequence of records
// ending with End of Message (type 0, critical, empty body).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>

namespace ntplite::proto::nts {

/// Default NTS-KE TCP port (RFC 8915 section 4).
inline constexpr uint16_t kKePort = 4460;
/// ALPN protocol id for NTS-KE (RFC 8915 section 4).
inline constexpr std::string_view kKeAlpn = "ntske/1";
/// TLS exporter label for the NTS keys (RFC 8915 section 5.1).
inline constexpr std::string_view kKeExporterLabel = "EXPORTER-network-time-security";

/// Largest NTS-KE message either side reads (request or response), in bytes.
inline constexpr std::size_t kKeMaxMessage = 4096;
/// Most cookies kept from one response (and handed out by our server).
inline constexpr std::size_t kKeMaxCookies = 8;
/// Largest cookie accepted from a server, in bytes (chrony's limit too).
inline constexpr std::size_t kKeMaxCookieSize = 256;
/// Most AEAD algorithm ids read from one request.
inline constexpr std::size_t kKeMaxAeads = 8;
/// Longest NTPv4 Server Negotiation body (a host name or address), in bytes.
inline constexpr std::size_t kKeMaxServerName = 255;
/// Record header: critical bit + type (2 bytes), body length (2 bytes).
inline constexpr std::size_t kKeRecordHeader = 4;

/// RFC 8915 section 7.6 record types.
enum class RecordType : uint16_t {
    kEndOfMessage = 0,
    kNextProtocol = 1,
    kError = 2,
    kWarning = 3,
    kAeadAlgorithm = 4,
    kNewCookie = 5,
    kServer = 6,
    kPort = 7,
};

/// Next Protocol id for NTPv4 (RFC 8915 section 7.7).
inline constexpr uint16_t kProtocolNtpV4 = 0;
/// AEAD algorithm ids (RFC 5116 registry).
inline constexpr uint16_t kAeadAesSivCmac256 = 15;
inline constexpr uint16_t kAeadAesSivCmac512 = 17;

/// Error codes of the Error record (RFC 8915 section 7.8).
enum class KeErrorCode : uint16_t {
    kUnrecognizedCritical = 0,
    kBadRequest = 1,
    kInternalServerError = 2,
};

/// One record as found in a message; `body` points into the parsed buffer.
struct Record {
    bool critical = false;
    uint16_t type = 0;  ///< 15-bit record type
    std::span<const std::byte> body;
};

/// Why bytes are not a well-formed sequence of records.
enum class FramingError : uint8_t {
    kIncomplete,  ///< no End of Message yet (read more, unless the buffer is full)
    kTooLong,     ///< no End of Message within kKeMaxMessage bytes
    kBadEnd,      ///< End of Message with a body, or without the critical bit
    kTrailing,    ///< bytes after End of Message (the peer must wait for our answer)
};
std::string_view to_string(FramingError e);

/// Length of the complete message at the start of `stream` (up to and including End of Message),
/// or why there is none. Call after each read; kIncomplete means read more.
std::expected<std::size_t, FramingError> message_length(std::span<const std::byte> stream);

/// Reads the records of one complete message (as delimited by message_length) one by one.
class RecordReader {
  public:
    explicit RecordReader(std::span<const std::byte> message) : rest_(message) {}
    /// The next record, or nullopt at the end of the buffer or on a truncated record (then
    /// truncated() is true).
    std::optional<Record> next();
    bool truncated() const { return truncated_; }

  private:
    std::span<const std::byte> rest_;
    bool truncated_ = false;
};

/// What a client asked for (RFC 8915 section 4.1.2/4.1.5).
struct KeRequest {
    std::array<uint16_t, kKeMaxAeads> aeads{};  ///< in the client's order of preference
    std::size_t aead_count = 0;
    bool ntpv4 = false;  ///< NTPv4 among the next protocols
};

/// Why a request is refused; each maps to the Error record code the server sends.
enum class KeRequestError : uint8_t {
    kMalformed,             ///< a record body has the wrong size, or framing is broken
    kUnrecognizedCritical,  ///< an unknown record type with the critical bit set
    kMissingNextProtocol,   ///< no Next Protocol record
    kDuplicateRecord,       ///< a second Next Protocol or AEAD record
    kMissingAead,           ///< no AEAD Algorithm Negotiation record
    kResponseRecord,        ///< Error/Warning/New Cookie records in a request
};
std::string_view to_string(KeRequestError e);
/// The Error record code for a refused request.
KeErrorCode error_code_for(KeRequestError e);

/// Parse a client's request (one complete message).
std::expected<KeRequest, KeRequestError> parse_request(std::span<const std::byte> message);

/// A server's answer as the client keeps it: cookies copied into bounded storage.
struct KeResponse {
    uint16_t protocol = 0;
    uint16_t aead = 0;
    std::array<std::array<std::byte, kKeMaxCookieSize>, kKeMaxCookies> cookies{};
    std::array<uint16_t, kKeMaxCookies> cookie_sizes{};  ///< bytes of each cookie
    std::size_t cookie_count = 0;
    std::array<char, kKeMaxServerName> server{};  ///< NTPv4 Server Negotiation, if any
    std::size_t server_size = 0;                  ///< 0 = use the NTS-KE server's address
    std::optional<uint16_t> port;                 ///< NTPv4 Port Negotiation, if any
    std::size_t cookies_dropped = 0;              ///< cookies over kKeMaxCookies or too large

    std::string_view server_name() const { return {server.data(), server_size}; }
};

/// Why a server's response is not usable.
enum class KeResponseError : uint8_t {
    kMalformed,             ///< broken framing or a record body of the wrong size
    kUnrecognizedCritical,  ///< an unknown critical record
    kServerError,           ///< the server sent an Error record
    kNoNtpV4,               ///< Next Protocol missing, duplicated or not NTPv4
    kBadAead,               ///< AEAD missing, duplicated or not one we offered
    kNoCookies,             ///< no usable New Cookie record
    kBadServerName,         ///< empty or overlong Server Negotiation body
};
std::string_view to_string(KeResponseError e);

/// Parse a server's response to a request that offered `offered_aeads`. When the result is
/// kServerError, `*error_code` (if given) holds the server's code.
std::expected<void, KeResponseError> parse_response(std::span<const std::byte> message,
                                                    std::span<const uint16_t> offered_aeads,
                                                    KeResponse& out,
                                                    uint16_t* error_code = nullptr);

/// Appends records into a caller's buffer; every writer returns false (writing nothing) when the
/// record would not fit, so a message never goes out half-built when the caller checks ok().
class RecordWriter {
  public:
    explicit RecordWriter(std::span<std::byte> out) : out_(out) {}
    bool record(bool critical, uint16_t type, std::span<const std::byte> body);
    bool u16_list(bool critical, uint16_t type, std::span<const uint16_t> values);
    bool end_of_message() { return record(true, uint16_t(RecordType::kEndOfMessage), {}); }
    std::size_t size() const { return size_; }
    bool ok() const { return ok_; }

  private:
    std::span<std::byte> out_;
    std::size_t size_ = 0;
    bool ok_ = true;
};

/// The client's request: NTPv4 and the given AEAD ids (both critical). Returns bytes written,
/// 0 if `out` is too small.
std::size_t write_request(std::span<std::byte> out, std::span<const uint16_t> aeads);

/// The server's successful response. `server`/`port` are omitted when empty/nullopt.
std::size_t write_response(std::span<std::byte> out, uint16_t aead,
                           std::span<const std::span<const std::byte>> cookies,
                           std::string_view server, std::optional<uint16_t> port);

/// An error response: Error record + End of Message.
std::size_t write_error(std::span<std::byte> out, KeErrorCode code);

}  // namespace ntplite::proto::nts
