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
    bool has_dst4 = false, has_dst6 = false;
    in_pktinfo dst4{};
    in6_pktinfo dst6{};
};

ControlUdp::ControlUdp(asio::io_context& engine_io, const std::vector<config::CidrPrefix>& allow,
                       SnapshotFn snapshot)
    : io_(engine_io), allow_(allow), snapshot_(std::move(snapshot)) {}

void ControlUdp::set_allow(std::vector<config::CidrPrefix> allow) {
    std::lock_guard lock(allow_mutex_);
    allow_ = std::move(allow);
}

bool ControlUdp::allowed(const config::IpAddress& client) const {
    std::lock_guard lock(allow_mutex_);
    for (const config::CidrPrefix& p : allow_) {
        if (p.contains(client)) return true;
    }
    return false;
}

bool ControlUdp::offer(int fd, std::span<const std::byte> datagram, const config::IpAddress& client,
                       const sockaddr_storage& from, socklen_t from_len, const in_pktinfo* dst4,
                       const in6_pktinfo* dst6) {
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
    if (dst4) {
        job->has_dst4 = true;
        job->dst4 = *dst4;
    } else if (dst6) {
        job->has_dst6 = true;
        job->dst6 = *dst6;
    }
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
        alignas(cmsghdr) std::byte ctrl[CMSG_SPACE(sizeof(in6_pktinfo))]{};
        if (job.has_dst4 || job.has_dst6) {
            // Reply from the address the query was sent to (wildcard sockets).
            h.msg_control = ctrl;
            h.msg_controllen =
                job.has_dst4 ? CMSG_SPACE(sizeof(in_pktinfo)) : CMSG_SPACE(sizeof(in6_pktinfo));
            cmsghdr* c = CMSG_FIRSTHDR(&h);
            if (job.has_dst4) {
                c->cmsg_level = IPPROTO_IP;
                c->cmsg_type = IP_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
                in_pktinfo pi{};
                pi.ipi_spec_dst = job.dst4.ipi_addr;
                std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
            } else {
                c->cmsg_level = IPPROTO_IPV6;
                c->cmsg_type = IPV6_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
                in6_pktinfo pi{};
                pi.ipi6_addr = job.dst6.ipi6_addr;
                pi.ipi6_ifindex = job.dst6.ipi6_ifindex;
                std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
            }
        }
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
