// Per-exchange math of RFC 5905 section 8: offset and round-trip delay from the four timestamps.
#pragma once

#include <cstdint>

#include "proto/timestamp.hpp"

namespace ntplite::proto {

/// The four timestamps of one client/server exchange.
struct Exchange {
    NtpTimestamp t1_client_transmit;
    NtpTimestamp t2_server_receive;
    NtpTimestamp t3_server_transmit;
    NtpTimestamp t4_client_receive;
};

/// One measurement. offset_ns > 0 means the server's clock is ahead of ours (we are behind).
struct ExchangeResult {
    int64_t offset_ns = 0;  ///< ((T2-T1)+(T3-T4))/2, rounded to the nanosecond
    int64_t delay_ns = 0;   ///< (T4-T1)-(T3-T2); may be negative with bad clocks, callers clamp
};

/// Largest round-trip delay a usable exchange can have: RFC 5905 MAXDISP, 16 s. Anything longer
/// (or a delay below -1 s, beyond any clock's reading error) means absurd timestamps.
inline constexpr int64_t kMaxDispersionNs = 16'000'000'000;  ///< RFC 5905 MAXDISP
inline constexpr int64_t kMaxSaneDelayNs = kMaxDispersionNs;
inline constexpr int64_t kMinSaneDelayNs = -1'000'000'000;

/// Sanity bound applied before a measurement reaches the filter and the discipline: the delay
/// in [kMinSaneDelayNs, kMaxSaneDelayNs]. The offset needs no bound of its own: it is at most
/// +-2^31 s by construction (each difference wraps within 68 years), and the discipline's panic
/// threshold judges it.
constexpr bool exchange_sane(const ExchangeResult& r) {
    return r.delay_ns >= kMinSaneDelayNs && r.delay_ns <= kMaxSaneDelayNs;
}

/// Exact to the nanosecond; uses wrapping 64-bit differences so an era boundary between any of
/// the timestamps is harmless.
ExchangeResult compute_exchange(const Exchange& e);

}  // namespace ntplite::proto
