// An in-process NTP server on 127.0.0.1 (ephemeral port) with scripted answers, for tests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "proto/packet.hpp"
#include "proto/refid.hpp"

namespace ntplite::tools::testing {

using Replies = std::vector<proto::Packet>;

inline int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * proto::kNsPerSecond + ts.tv_nsec;
}

// Answers each request with whatever `behave` returns (possibly nothing), from 127.0.0.1.
class FakeServer {
  public:
    explicit FakeServer(std::function<Replies(const proto::Packet&)> behave)
        : behave_(std::move(behave)) {
        fd_ = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        socklen_t len = sizeof a;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeServer() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }
    uint16_t port() const { return port_; }
    /// Source port of each request so far.
    std::vector<uint16_t> client_ports() const {
        std::lock_guard lock(mutex_);
        return client_ports_;
    }
    /// Transmit field of each request so far.
    std::vector<proto::NtpTimestamp> request_transmits() const {
        std::lock_guard lock(mutex_);
        return request_transmits_;
    }

  private:
    void run() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 20) <= 0) continue;
            std::array<std::byte, 1024> buf{};
            sockaddr_in from{};
            socklen_t len = sizeof from;
            ssize_t n =
                recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0) continue;
            auto req = proto::parse(std::span<const std::byte>(buf.data(), std::size_t(n)));
            if (!req) continue;
            {
                std::lock_guard lock(mutex_);
                client_ports_.push_back(ntohs(from.sin_port));
                request_transmits_.push_back(req->transmit);
            }
            for (const auto& reply : behave_(*req)) {
                std::array<std::byte, proto::kHeaderSize> out{};
                proto::serialize(reply, out);
                sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
            }
        }
    }
    std::function<Replies(const proto::Packet&)> behave_;
    mutable std::mutex mutex_;
    std::vector<uint16_t> client_ports_;
    std::vector<proto::NtpTimestamp> request_transmits_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// An honest stratum 3 server whose clock is `ahead_ns` ahead of ours.
inline proto::Packet honest(const proto::Packet& req, int64_t ahead_ns = 0) {
    proto::Packet p;
    p.mode = proto::Mode::kServer;
    p.stratum = 3;
    p.precision_log2 = -20;
    p.refid = proto::refid_from_ipv4({192, 0, 2, 7});
    p.origin = req.transmit;
    p.receive = proto::NtpTimestamp::from_unix_ns(now_ns() + ahead_ns);
    p.transmit = proto::NtpTimestamp::from_unix_ns(now_ns() + ahead_ns);
    p.reference = p.receive;
    return p;
}

}  // namespace ntplite::tools::testing
