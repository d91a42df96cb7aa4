// Mode 6 on the NTP server sockets. A server worker hands every mode 6 datagram to offer() (its
// own thread); the [control] allow list is checked there, and allowed requests are copied and
// posted to the engine thread, which owns the state, answers with answer_mode6() and sends the
// fragments back on the worker's socket. Mode 3 never comes here: the server hot path stays
// free of locks and allocation. A bounded number of requests may wait, so a flood of allowed
// queries cannot pile up work on the engine thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "config/config.hpp"
#include "daemon/common/asio.hpp"
#include "daemon/policy/monitor/control_snapshot.hpp"
#include "daemon/policy/server/acl.hpp"
#include "daemon/policy/server/rate_limiter.hpp"
#include "sysutil/rx_meta.hpp"

namespace ntplite::daemon {

class ControlUdp {
  public:
    /// Requests waiting for the engine thread at most; more are dropped (counted "overloaded").
    static constexpr unsigned kMaxPending = 64;
    /// Per-client mode 6 rate (issue 14), with the NTP server's rate-limit machinery: on average
    /// one request per 2^kClientIntervalLog2 s, bursts of kClientBurst; over it: dropped.
    /// Loopback clients (the local admin) are exempt; the global byte budget covers them too.
    static constexpr int kClientIntervalLog2 = 0;
    static constexpr unsigned kClientBurst = 16;
    /// All mode 6 answers together never exceed this many bytes per second (a READVAR answer
    /// is ~30x its request: an allow list widened by mistake must not make us an amplifier).
    static constexpr int64_t kMaxAnswerBytesPerSecond = 64 * 1024;
    using SnapshotFn = std::function<MonitorSnapshot()>;

    /// `allow`: who may query (an Acl::allow_only list: an empty list allows nobody).
    /// `snapshot` runs on `engine_io`.
    ControlUdp(asio::io_context& engine_io, const std::vector<config::CidrPrefix>& allow,
               SnapshotFn snapshot);

    /// True if a datagram is mode 6 (the worker routes it here instead of serve_one()).
    static bool is_mode6(std::span<const std::byte> datagram) {
        return datagram.size() >= 1 && (static_cast<uint8_t>(datagram[0]) & 0x7) == 6;
    }
    /// Whether `client` is in the allow list (any thread).
    bool allowed(const config::IpAddress& client) const;
    /// A reload: the new [control] allow list (any thread).
    void set_allow(std::vector<config::CidrPrefix> allow);

    /// Worker thread: takes one mode 6 datagram from `client` (socket address `from`) received
    /// on `fd`, sent to `dst` (set for wildcard sockets, to reply from that address).
    /// False if it was dropped here (not allowed, or too many waiting).
    bool offer(int fd, std::span<const std::byte> datagram, const config::IpAddress& client,
               const sockaddr_storage& from, socklen_t from_len, const sysutil::ReplySource& dst);

    /// Counter values now (any thread).
    ControlCounterTotals totals() const;

  private:
    struct Job;
    void answer(const Job& job);

    asio::io_context& io_;
    /// The same Acl class as the NTP server's [access]. Read by the workers, replaced by a
    /// reload: mode 6 is rare and already copies each request, so a lock here costs nothing on
    /// the NTP (mode 3) path, which never takes it.
    mutable std::mutex allow_mutex_;
    Acl allow_;
    SnapshotFn snapshot_;
    std::atomic<unsigned> pending_{0};
    std::atomic<uint64_t> answered_{0}, denied_{0}, malformed_{0}, overloaded_{0}, fragments_{0};
    // Engine thread only (answer()):
    RateLimiter limiter_;
    int64_t budget_bytes_ = kMaxAnswerBytesPerSecond;  // global token bucket
    int64_t budget_time_ns_ = 0;                       // monotonic time of the last refill
};

}  // namespace ntplite::daemon
