// The server's decision for one received datagram: access control, parse, mode, rate limit,
// reply. Pure (no IO, no clock reads, no allocation, no exceptions) so it is unit-tested without
// sockets; the worker calls it for every datagram of a batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "config/net.hpp"
#include "daemon/policy/server/acl.hpp"
#include "daemon/policy/server/client_table.hpp"
#include "daemon/policy/server/counters.hpp"
#include "daemon/policy/server/rate_limiter.hpp"
#include "proto/auth/server.hpp"
#include "proto/respond.hpp"
#include "proto/timestamp.hpp"

namespace ntplite::daemon {

/// What serve_one() may consult and update; one per worker thread.
struct ServeContext {
    const Acl* acl = nullptr;            ///< nullptr = allow everyone
    RateLimiter* limiter = nullptr;      ///< nullptr = no rate limiting
    ServerCounters* counters = nullptr;  ///< required
    ClientTable* clients = nullptr;      ///< nullptr = per-client counts not kept
    auth::ServerAuth* auth = nullptr;    ///< nullptr = no keys (every MAC request dropped)
};

/// Handles one datagram from `client` received at `rx_time` (T2, kernel timestamp when there is
/// one). `truncated` = the datagram did not fit the receive buffer. `now_mono_ns` is a monotonic
/// clock for the rate limiter. Writes the reply (transmit timestamp = rx_time, to be patched
/// right before sending) into `reply` and returns its length, never more than the request's;
/// returns 0 when the datagram gets no answer (the reason is counted).
/// A reply to an authenticated request is returned unsealed with `*seal` set: the caller patches
/// the transmit timestamp, then appends the MAC with ServerAuth::seal_reply() (the MAC covers
/// T3). With `seal` null, authenticated requests are dropped (nobody would seal the reply).
std::size_t serve_one(std::span<const std::byte> request, bool truncated,
                      const config::IpAddress& client, proto::NtpTimestamp rx_time,
                      int64_t now_mono_ns, const proto::SystemState& state, ServeContext& ctx,
                      std::span<std::byte> reply, auth::ReplySeal* seal = nullptr);

}  // namespace ntplite::daemon
