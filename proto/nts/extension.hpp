// NTS extension fields in NTP packets (RFC 8915 section 5, RFC 7822 framing): reading the NTS
// fields of a client request or server reply, and writing fields into a caller's buffer.
// Pure: no IO, no allocation, never throws, never reads or writes outside the given spans.
//
// Field layout: type(16) | length(16, whole field incl. this header, multiple of 4, >= 16) | body.
// The authenticator's body: nonce length(16) | ciphertext length(16) | nonce, zero-padded to 4 |
// ciphertext, zero-padded to 4 | optional padding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string_view>

namespace ntplite::proto::nts {

/// RFC 8915 section 7.5 extension field types.
inline constexpr uint16_t kEfUniqueId = 0x0104;
inline constexpr uint16_t kEfCookie = 0x0204;
inline constexpr uint16_t kEfCookiePlaceholder = 0x0304;
inline constexpr uint16_t kEfAuthenticator = 0x0404;

/// Unique identifier body we send, bytes (RFC 8915 5.3: at least 32).
inline constexpr std::size_t kUniqueIdSize = 32;
/// Nonce we put in authenticators, bytes (AES-SIV takes any; 16 avoids extra padding).
inline constexpr std::size_t kNonceSize = 16;
/// AES-SIV synthetic IV (the tag) that starts every ciphertext, bytes.
inline constexpr std::size_t kSivTagSize = 16;
/// RFC 7822: an extension field is at least 16 bytes.
inline constexpr std::size_t kMinFieldSize = 16;
/// Most cookie placeholders honoured in one request (and so cookies in one reply).
inline constexpr std::size_t kMaxPlaceholders = 7;
/// Header of the NTP packet, bytes (the associated data always starts with it).
inline constexpr std::size_t kNtpHeaderSize = 48;

/// One extension field; `offset` is where its header starts in the packet.
struct ExtensionField {
    uint16_t type = 0;
    std::span<const std::byte> body;
    std::size_t offset = 0;
    std::size_t size = 0;  ///< whole field, header included
};

/// Reads extension fields after the 48-byte header. Stops (truncated() true) at a field whose
/// length is below 16, not a multiple of 4, or past the end.
class ExtensionReader {
  public:
    /// Fields start at `start` (48 in a packet, 0 in decrypted authenticator plaintext).
    explicit ExtensionReader(std::span<const std::byte> packet, std::size_t start = kNtpHeaderSize);
    std::optional<ExtensionField> next();
    bool malformed() const { return malformed_; }

  private:
    std::span<const std::byte> packet_;
    std::size_t at_;
    bool malformed_ = false;
};

/// The authenticator's parts.
struct Authenticator {
    std::span<const std::byte> nonce;
    std::span<const std::byte> ciphertext;  ///< SIV tag followed by the encrypted fields
};
std::optional<Authenticator> parse_authenticator(std::span<const std::byte> body);

/// What the NTS fields of a packet say (request or reply).
struct NtsFields {
    std::span<const std::byte> unique_id;  ///< body of the unique identifier field
    std::span<const std::byte> cookie;     ///< body of the cookie field (requests)
    std::size_t placeholders = 0;          ///< cookie placeholder fields (requests)
    std::size_t placeholder_bytes = 0;     ///< total size of the placeholder fields
    std::size_t authenticated_size = 0;    ///< bytes before the authenticator: the associated data
    Authenticator auth;
    std::size_t packet_size = 0;
};

/// Why the NTS fields of a packet are not usable.
enum class NtsFieldError : uint8_t {
    kNoFields,            ///< no extension fields at all: a plain NTP packet
    kMalformed,           ///< broken field framing (or a MAC trailer)
    kNoUniqueId,          ///< missing or duplicated unique identifier, or shorter than 32 bytes
    kNoCookie,            ///< request without exactly one cookie
    kNoAuthenticator,     ///< missing or malformed authenticator
    kAfterAuthenticator,  ///< fields after the authenticator (they would be unauthenticated)
};
std::string_view to_string(NtsFieldError e);

/// Parse the NTS fields of a client request (`request` true: exactly one cookie required) or of
/// a reply. Unknown fields before the authenticator are skipped (they are authenticated data).
std::expected<NtsFields, NtsFieldError> parse_nts_fields(std::span<const std::byte> packet,
                                                         bool request);

/// Only the unique identifier of a packet (to answer an NTS NAK even when the rest is bad).
std::span<const std::byte> find_unique_id(std::span<const std::byte> packet);

/// Size of a field carrying `body_size` bytes: header + body padded to 4, at least 16.
constexpr std::size_t field_size(std::size_t body_size) {
    const std::size_t n = 4 + ((body_size + 3) & ~std::size_t{3});
    return n < kMinFieldSize ? kMinFieldSize : n;
}
/// Size of the authenticator field for the given nonce and ciphertext sizes.
constexpr std::size_t authenticator_size(std::size_t nonce_size, std::size_t ciphertext_size) {
    return field_size(4 + ((nonce_size + 3) & ~std::size_t{3}) + ciphertext_size);
}

/// Write a field at `out[at]` (zero padding included); returns the new end offset, or nullopt if
/// it does not fit. `body` may be empty with `zero_body_size` set (a placeholder's zero body).
std::optional<std::size_t> write_field(std::span<std::byte> out, std::size_t at, uint16_t type,
                                       std::span<const std::byte> body,
                                       std::size_t zero_body_size = 0);

/// Lay out an authenticator field at `out[at]`: writes the header, lengths and nonce, zeroes the
/// padding, and returns where the ciphertext of `ciphertext_size` bytes goes (the caller's AEAD
/// writes it there) and the new end offset; nullopt if it does not fit.
struct AuthenticatorSlot {
    std::size_t ciphertext_offset = 0;
    std::size_t end = 0;
};
std::optional<AuthenticatorSlot> write_authenticator(std::span<std::byte> out, std::size_t at,
                                                     std::span<const std::byte> nonce,
                                                     std::size_t ciphertext_size);

}  // namespace ntplite::proto::nts
