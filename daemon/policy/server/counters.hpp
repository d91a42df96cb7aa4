// Server counters by outcome. Each worker thread owns one ServerCounters and is its only writer:
// increments are a relaxed load + store (no locked read-modify-write, no shared cache line), and
// any thread may read them at any time for a summary.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "proto/nts/ke_failure.hpp"

namespace ntplite::daemon {

/// A single-writer counter.
class Counter {
  public:
    void bump(uint64_t n = 1) {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> v_{0};
};

/// One worker's counters. Aligned so two workers never share a cache line.
struct alignas(64) ServerCounters {
    Counter received;           ///< datagrams read from the socket
    Counter answered;           ///< normal mode 4 replies sent (including leaked ones)
    Counter kod_rate;           ///< KoD RATE replies sent
    Counter rate_limited;       ///< requests over their client's rate (answered, KoD or dropped)
    Counter leaked;             ///< rate-limited requests answered normally (the leak fraction)
    Counter dropped_malformed;  ///< not a well-formed NTP packet (or truncated by the buffer)
    Counter dropped_denied;     ///< source address refused by the access lists
    Counter dropped_control;    ///< mode 7, and mode 6 from outside [control] allow (or overloaded)
    Counter dropped_not_client;  ///< any other mode than 3 (client)
    Counter dropped_rate;        ///< rate-limited and not answered at all
    Counter send_errors;         ///< replies the kernel refused to send
    Counter rx_no_timestamp;     ///< datagrams without a kernel RX timestamp (clock read instead)
    // Authentication (requests with a MAC or extension fields). Failures are dropped, never
    // answered unauthenticated (chronyd drops them too; no crypto-NAK is sent).
    Counter auth_replies;      ///< replies sent with a MAC (normal and KoD)
    Counter auth_unknown_key;  ///< MAC with a key id not in the keys file: dropped
    Counter auth_bad_mac;      ///< MAC that did not match: dropped
    Counter auth_malformed;    ///< crypto-NAK or unreadable trailer in a request: dropped
    Counter auth_unsupported;  ///< extension fields (NTS or others) not served: dropped
    Counter auth_nts_nak;      ///< NTS request with an unknown cookie or bad authenticator: NAK
};

/// A plain-value sum of any number of ServerCounters.
struct CounterTotals {
    uint64_t received = 0, answered = 0, kod_rate = 0, rate_limited = 0, leaked = 0;
    uint64_t dropped_malformed = 0, dropped_denied = 0, dropped_control = 0, dropped_not_client = 0;
    uint64_t dropped_rate = 0, send_errors = 0, rx_no_timestamp = 0;
    uint64_t auth_replies = 0, auth_unknown_key = 0, auth_bad_mac = 0, auth_malformed = 0;
    uint64_t auth_unsupported = 0, auth_nts_nak = 0;

    void add(const ServerCounters& c);
    /// "received=N answered=N kod_rate=N ..." (one line, stable key=value pairs for scripts).
    std::string to_string() const;
};

/// The NTS-KE server's counters and master key, as plain values (present only with [nts]
/// certificate). Counts since the daemon started.
struct NtsKeServerTotals {
    uint64_t accepted = 0;        ///< TCP connections accepted
    uint64_t accept_errors = 0;   ///< accept() failures (fd or memory exhaustion)
    uint64_t handshakes = 0;      ///< TLS 1.3 handshakes completed with ALPN ntske/1
    uint64_t sessions = 0;        ///< requests answered with cookies
    uint64_t cookies_issued = 0;  ///< cookies handed out
    proto::nts::KeServerFailureCounts failures{};  ///< connections given no cookies, by kind
    uint64_t key_rotations = 0;  ///< newer master keys adopted (made here or by a key-file peer)
    uint32_t key_id = 0;         ///< id of the newest master key (seals new cookies)
    int64_t key_created_unix_s = 0;  ///< when the newest master key was made (wall clock)

    uint64_t failures_total() const;
};

/// Sums the counters of every worker.
CounterTotals sum(std::span<const ServerCounters* const> workers);

}  // namespace ntplite::daemon
