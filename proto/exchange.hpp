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

/// Exact to the nanosecond; uses wrapping 64-bit differences so an era boundary between any of
/// the timestamps is harmless.
ExchangeResult compute_exchange(const Exchange& e);

}  // namespace ntplite::proto
