// One generator thread: its own connected UDP sockets, an open-loop send schedule (as fast as
// possible, or token-paced at a fixed rate), and reply matching by origin timestamp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tools/loadgen/histogram.hpp"
#include "tools/loadgen/options.hpp"

namespace ntplite::tools::loadgen {

/// Counters of one thread (or their sum). All counts are datagrams.
struct ThreadStats {
    uint64_t sent = 0;           ///< requests the kernel accepted
    uint64_t send_blocked = 0;   ///< requests the kernel did not take (buffer full, partial batch)
    uint64_t send_errors = 0;    ///< requests not sent for another error (ECONNREFUSED, ...)
    uint64_t received = 0;       ///< datagrams received, valid or not
    uint64_t valid = 0;          ///< matched answers (each counted once)
    uint64_t kod = 0;            ///< matched Kiss-o'-Death replies (stratum 0)
    uint64_t invalid_short = 0;  ///< shorter than 48 bytes
    uint64_t invalid_long = 0;   ///< longer than the 48-byte request
    uint64_t invalid_mode = 0;   ///< not mode 4
    uint64_t invalid_version = 0;  ///< version differs from the request's
    uint64_t invalid_origin = 0;   ///< origin matches no request of this run
    uint64_t duplicates = 0;       ///< second reply to an already answered request
    uint64_t late = 0;             ///< reply to a request older than the send-time ring
    uint64_t timed_out = 0;        ///< with --window: requests given up on after --timeout-ms
    uint64_t refused = 0;          ///< ICMP port unreachable seen (ECONNREFUSED on receive)
    // NTS mode only.
    uint64_t nts_naks = 0;               ///< matched NTS NAKs (not counted as valid)
    uint64_t nts_verified = 0;           ///< valid replies whose authenticator was verified
    uint64_t invalid_nts_uid = 0;        ///< unique id missing or not the origin request's
    uint64_t invalid_nts_malformed = 0;  ///< NTS fields missing or broken
    uint64_t invalid_nts_auth = 0;       ///< authenticator does not verify (S2C)
    double send_phase_s = 0;             ///< measured length of the sending phase, seconds
    double idle_s = 0;         ///< sending phase spent waiting for replies (window full or
                               ///< pacing) with none arriving: the generator was not the limit
    LatencyHistogram latency;  ///< send -> receive, ns, of valid answers

    void add(const ThreadStats& o);
    uint64_t invalid() const {
        return invalid_short + invalid_long + invalid_mode + invalid_version + invalid_origin +
               invalid_nts_uid + invalid_nts_malformed + invalid_nts_auth;
    }
};

/// Run one generator thread for `opts.duration_s` plus the drain time. `first_socket` and
/// `socket_count` select this thread's share of the sockets (for source address spreading).
/// Returns an error message if setup fails (socket, connect, epoll).
std::string run_generator_thread(const Options& opts, unsigned thread_index, unsigned first_socket,
                                 unsigned socket_count, double rate_per_s, uint32_t nonce24,
                                 ThreadStats& stats);

}  // namespace ntplite::tools::loadgen
