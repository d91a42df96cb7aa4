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
#include <span>
#include <vector>

#include "config/config.hpp"
#include "daemon/common/asio.hpp"
#include "daemon/policy/monitor/control_snapshot.hpp"
#include "daemon/policy/server/acl.hpp"
#include "sysutil/rx_meta.hpp"

namespace ntplite::daemon {

class ControlUdp {
  public:
    /// Requests waiting for the engine thread at most; more are dropped (counted "overloaded").
    static constexpr unsigned kMaxPending = 64;
    using SnapshotFn = std::function<MonitorSnapshot()>;

    /// `allow`: who may query (an Acl::allow_only list: an empty list allows nobody).
    /// `snapshot` runs on `engine_io`.
    ControlUdp(asio::io_context& engine_io, const std::vector<config::CidrPrefix>& allow,
               SnapshotFn snapshot);

    /// True if a datagram is mode 6 (the worker routes it here instead of serve_one()).
    static bool is_mode6(std::span<const std::byte> datagram) {
        return datagram.size() >= 1 && (static_cast<uint8_t>(datagram[0]) & 0x7) == 6;
    }
    /// Whether `client` is in the allow list.
    bool allowed(const config::IpAddress& client) const;

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
    Acl allow_;  ///< the same Acl class as the NTP server's [access]
    SnapshotFn snapshot_;
    std::atomic<unsigned> pending_{0};
    std::atomic<uint64_t> answered_{0}, denied_{0}, malformed_{0}, overloaded_{0}, fragments_{0};
};

}  // namespace ntplite::daemon
