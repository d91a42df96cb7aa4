// RFC 5905 section 8 on-wire math. All sums are done on exact 2^-32 s values in 128 bits and
// rounded to the nanosecond once, at the end, so the results are exact to the nanosecond.
#include "proto/exchange.hpp"

namespace ntplite::proto {

namespace {

// round(x * 1e9 / 2^shift), ties away from zero. |x| <= 2^65 so x * 1e9 fits in 128 bits.
int64_t fixed_to_ns(__int128 x, int shift) {
    const __int128 scaled = x * kNsPerSecond;
    const __int128 half = static_cast<__int128>(1) << (shift - 1);
    const __int128 r = scaled >= 0 ? (scaled + half) >> shift : -((-scaled + half) >> shift);
    return static_cast<int64_t>(r);
}

}  // namespace

ExchangeResult compute_exchange(const Exchange& e) {
    // Each difference wraps modulo 2^64 (NtpDuration), so an era boundary between any two
    // timestamps is harmless as long as each pair is within 68 years.
    const __int128 forward = (e.t2_server_receive - e.t1_client_transmit).fixed;      // T2 - T1
    const __int128 backward = (e.t3_server_transmit - e.t4_client_receive).fixed;     // T3 - T4
    const __int128 round_trip = (e.t4_client_receive - e.t1_client_transmit).fixed;   // T4 - T1
    const __int128 server_hold = (e.t3_server_transmit - e.t2_server_receive).fixed;  // T3 - T2
    ExchangeResult r;
    r.offset_ns = fixed_to_ns(forward + backward, 33);  // halved: one more bit of shift
    r.delay_ns = fixed_to_ns(round_trip - server_hold, 32);
    return r;
}

}  // namespace ntplite::proto
