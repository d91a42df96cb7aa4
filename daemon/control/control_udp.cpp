#include "daemon/control/control_udp.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

#include "daemon/policy/monitor/control_mode6.hpp"
#include "daemon/policy/sync/sync_config.hpp"

namespace ntplite::daemon {

struct ControlUdp::Job {
    int fd = -1;
    std::vector<std::byte> request;
    sockaddr_storage from{};
    socklen_t from_len = 0;
    sysutil::ReplySource dst;
    config::IpAddress client;
};

namespace {

config::RateLimitConfig mode6_rate() {
    config::RateLimitConfig r;
    r.enabled = true;
    r.interval_log2 = ControlUdp::kClientIntervalLog2;
    r.burst = ControlUdp::kClientBurst;
    r.leak = 0.0;
    r.kod = false;
    r.table_size = 1024;
    return r;
}

}  // namespace

ControlUdp::ControlUdp(asio::io_context& engine_io, const std::vector<config::CidrPrefix>& allow,
                       SnapshotFn snapshot)
    : io_(engine_io),
      allow_(Acl::allow_only(allow)),
      snapshot_(std::move(snapshot)),
      limiter_(mode6_rate(),
               static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {
}

void ControlUdp::set_allow(std::vector<config::CidrPrefix> allow) {
    Acl next = Acl::allow_only(allow);
    std::lock_guard lock(allow_mutex_);
    allow_ = std::move(next);
}

bool ControlUdp::allowed(const config::IpAddress& client) const {
    std::lock_guard lock(allow_mutex_);
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
    job->client = client;
    asio::post(io_, [this, job] {
        pending_.fetch_sub(1, std::memory_order_relaxed);
        answer(*job);
    });
    return true;
}

void ControlUdp::answer(const Job& job) {
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
    // Loopback is the local admin (ntpq -p asks once per source; waitsync polls): no per-client
    // limit there, since no remote host can send from it. The global byte budget still applies.
    const RateDecision d =
        is_loopback(job.client) ? RateDecision::kAllow : limiter_.check(job.client, now_ns);
    if (d != RateDecision::kAllow && d != RateDecision::kLeak) {
        overloaded_.fetch_add(1, std::memory_order_relaxed);  // per-client rate exceeded
        return;
    }
    const Mode6Answer a = answer_mode6(job.request, snapshot_());
    // Global byte budget: refilled continuously, at most one second's worth banked.
    budget_bytes_ = std::min<int64_t>(
        kMaxAnswerBytesPerSecond,
        budget_bytes_ + std::min<int64_t>(now_ns - budget_time_ns_, 1'000'000'000) *
                            kMaxAnswerBytesPerSecond / 1'000'000'000);
    budget_time_ns_ = now_ns;
    if (static_cast<int64_t>(a.total_bytes()) > budget_bytes_) {
        overloaded_.fetch_add(1, std::memory_order_relaxed);  // global answer budget spent
        return;
    }
    budget_bytes_ -= static_cast<int64_t>(a.total_bytes());
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
