// Command-line settings of ntp-loadgen and the checks that keep a run bounded and on loopback.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace ntplite::tools::loadgen {

struct NtsCredentials;

/// Hard bound on one run's sending phase, in seconds (the benchmark must stay short).
inline constexpr double kMaxDurationS = 20.0;

struct Options {
    std::string target_text;    ///< "ADDR:PORT" or "[V6ADDR]:PORT" as given
    sockaddr_storage target{};  ///< parsed target (loopback only)
    socklen_t target_len = 0;
    double duration_s = 5.0;    ///< sending phase, 0 < d <= kMaxDurationS
    double rate_per_s = 0.0;    ///< offered requests/s over all threads; 0 = as fast as possible
    unsigned sockets = 64;      ///< connected UDP sockets (distinct source ports), all threads
    unsigned batch = 32;        ///< datagrams per sendmmsg/recvmmsg call
    unsigned threads = 1;       ///< generator threads
    std::vector<int> cpus;      ///< CPUs to pin threads to (thread i -> cpus[i % size])
    unsigned drain_ms = 300;    ///< wait for late replies after the sending phase
    uint8_t ntp_version = 4;    ///< version field of the requests, 1..4
    unsigned source_addrs = 1;  ///< IPv4: spread sockets over 127.0.0.1 .. 127.0.0.N
    /// IPv4: send each request from the next of N source addresses 127.1.0.0 + i (i < N) with
    /// IP_PKTINFO, on unconnected sockets bound to the wildcard address (replies to any of them
    /// come back); refused unless every interface that is up is loopback (a network namespace).
    unsigned spoof_sources = 0;
    unsigned window = 0;        ///< max unanswered requests in flight per thread; 0 = open loop
    unsigned timeout_ms = 100;  ///< with --window: an unanswered request stops counting after this
    bool gso = false;           ///< send each batch as one UDP GSO write (batch <= 64)
    bool json = false;          ///< machine-readable report on stdout
    // NTS mode (RFC 8915): one NTS-KE exchange before the load, then authenticated requests.
    std::string nts_ke_text;        ///< NTS-KE server "ADDR:PORT" (loopback); "" = plain NTP
    std::string nts_ca;             ///< PEM CA file the NTS-KE server's certificate must chain to
    std::string nts_name;           ///< name checked in the certificate; "" = the NTS-KE address
    unsigned nts_placeholders = 0;  ///< cookie placeholders per request (0..7)
    /// Verify the authenticator (S2C) of every Nth NTS reply (1 = all); the unique identifier,
    /// origin and framing of every reply are always checked.
    unsigned nts_verify_every = 1;
    const NtsCredentials* nts = nullptr;  ///< set after the key exchange; null = plain NTP
};

/// Parse "ADDR:PORT" / "[V6]:PORT" (numeric addresses only) and accept only loopback targets
/// (127.0.0.0/8 or ::1). Returns an error message otherwise.
std::expected<void, std::string> parse_loopback_target(std::string_view text, sockaddr_storage& out,
                                                       socklen_t& out_len);

/// Largest --spoof-sources: 127.1.0.0 .. 127.255.255.254.
inline constexpr unsigned kMaxSpoofSources = 0x00FEFFFFu;
/// First --spoof-sources address (host order), 127.1.0.0: clear of 127.0.0.0/16, where tests
/// put their servers and legitimate clients.
inline constexpr uint32_t kSpoofFirstAddr = 0x7F010000u;

/// True if every interface that is up is a loopback interface (the --spoof-sources guard).
bool only_loopback_interfaces_up();

/// Check the numeric bounds of `o` (duration, rate, counts). Returns an error message if any fails.
std::expected<void, std::string> validate(const Options& o);

}  // namespace ntplite::tools::loadgen
