// Why an NTS-KE session failed, on either side, as monitoring counts it: the client's kinds
// (per source: which step of its key exchange failed) and the server's (per listener: why a
// connection got no cookies). Header-only and pure, so the monitoring renderers (JSON,
// Prometheus, mode 6) name the kinds without linking the TLS code that decides them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ntplite::proto::nts {

/// A client key exchange's failure (decided by the daemon's NTS-KE client).
enum class KeFailure : uint8_t {
    kConnect,      ///< TCP connection refused or unreachable
    kCertificate,  ///< certificate not trusted, expired, or not for this name
    kTls,          ///< other TLS failure (version, ALPN, alert)
    kServerError,  ///< the server answered with an Error record (NTS-KE NAK)
    kProtocol,     ///< malformed or unusable response (no NTPv4, bad AEAD, no cookies)
    kTimeout,      ///< no complete exchange within the client's deadline
};
inline constexpr std::size_t kKeFailureKinds = 6;

/// "connect", "certificate", "tls", "nak", "protocol", "timeout" (logs, JSON keys, labels).
constexpr std::string_view to_string(KeFailure f) {
    constexpr std::array<std::string_view, kKeFailureKinds> kNames = {
        "connect", "certificate", "tls", "nak", "protocol", "timeout"};
    const auto i = static_cast<std::size_t>(f);
    return i < kNames.size() ? kNames[i] : "?";
}

/// Client failures counted by kind (index: KeFailure).
using KeFailureCounts = std::array<uint64_t, kKeFailureKinds>;

/// Why the NTS-KE server gave a connection no cookies (decided by the daemon's NTS-KE server).
enum class KeServerFailure : uint8_t {
    kTlsHandshake,  ///< the TLS handshake failed (not TLS 1.3, garbage, alert, reset)
    kAlpn,          ///< the client did not offer ntske/1
    kBadRequest,    ///< the request's records are malformed (answered with an Error record)
    kNoAlgorithm,   ///< no NTPv4 or no AEAD we support (answered with an Error record)
    kIo,            ///< the connection failed or closed before the request was answered
    kTimeout,       ///< closed at the session deadline
    kCapReached,    ///< an idle connection closed to make room at the connection cap
    kInternal,      ///< key export, randomness or cookie sealing failed (Error record)
};
inline constexpr std::size_t kKeServerFailureKinds = 8;

/// "tls_handshake", "alpn", "bad_request", "no_algorithm", "io", "timeout", "cap_reached",
/// "internal" (JSON keys, metrics labels).
constexpr std::string_view to_string(KeServerFailure f) {
    constexpr std::array<std::string_view, kKeServerFailureKinds> kNames = {
        "tls_handshake", "alpn",        "bad_request", "no_algorithm", "io",
        "timeout",       "cap_reached", "internal"};
    const auto i = static_cast<std::size_t>(f);
    return i < kNames.size() ? kNames[i] : "?";
}

/// Server failures counted by kind (index: KeServerFailure).
using KeServerFailureCounts = std::array<uint64_t, kKeServerFailureKinds>;

}  // namespace ntplite::proto::nts
