#include "daemon/control/control_udp.hpp"

#include <cstring>
#include <memory>

#include "daemon/policy/monitor/control_mode6.hpp"

namespace ntplite::daemon {

struct ControlUdp::Job {
    int fd = -1;
    std::vector<std::byte> request;
    sockaddr_storage from{};
    socklen_t from_len = 0;
    sysutil::ReplySource dst;
};

ControlUdp::ControlUdp(asio::io_context& engine_io, const std::vector<config::CidrPrefix>& allow,
                       SnapshotFn snapshot)
    : io_(engine_io), allow_(Acl::allow_only(allow)), snapshot_(std::move(snapshot)) {}

bool ControlUdp::allowed(const config::IpAddress& client) const {
    return allow_.allowed(client);
}

bool ControlUdp::offer(int fd, std::span<const std::byte> datagram, const config::IpAddress& client,
                       const sockaddr_storage& from, socklen_t from_len,
                       const sysutil::ReplySource& dst) {
    if (!allowed(client)) {
        denied_.fetch_add(1, std::memory_order_relaxed);  // dropped silently: ratio 0
        return false;
    }
    if (pending_.fetch_add(1, std::memory_order_relaxed) >= kMaxPending) {
        pending_.fetch_sub(1, std::memory_order_relaxed);
        overloaded_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    auto job = std::make_shared<Job>();
    job->fd = fd;
    job->request.assign(datagram.begin(), datagram.end());
    job->from = from;
    job->from_len = from_len;
    job->dst = dst;
    asio::post(io_, [this, job] {
        pending_.fetch_sub(1, std::memory_order_relaxed);
        answer(*job);
    });
    return true;
}

void ControlUdp::answer(const Job& job) {
    const Mode6Answer a = answer_mode6(job.request, snapshot_());
    if (a.outcome == Mode6Outcome::kDropped) {
        malformed_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    answered_.fetch_add(1, std::memory_order_relaxed);
    for (const auto& d : a.datagrams) {
        msghdr h{};
        iovec iov{const_cast<std::byte*>(d.data()), d.size()};
        h.msg_name = const_cast<sockaddr_storage*>(&job.from);
        h.msg_namelen = job.from_len;
        h.msg_iov = &iov;
        h.msg_iovlen = 1;
        // Reply from the address the query was sent to (wildcard sockets).
        alignas(cmsghdr) std::byte ctrl[sysutil::kReplySourceCtrlSize]{};
        sysutil::set_reply_source(h, job.dst, ctrl);
        if (::sendmsg(job.fd, &h, MSG_DONTWAIT) == static_cast<ssize_t>(d.size())) {
            fragments_.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

ControlCounterTotals ControlUdp::totals() const {
    ControlCounterTotals t;
    t.answered = answered_.load(std::memory_order_relaxed);
    t.denied = denied_.load(std::memory_order_relaxed);
    t.malformed = malformed_.load(std::memory_order_relaxed);
    t.overloaded = overloaded_.load(std::memory_order_relaxed);
    t.fragments_sent = fragments_.load(std::memory_order_relaxed);
    return t;
}

}  // namespace ntplite::daemon
