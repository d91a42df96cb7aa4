#include "tools/ntpq/sntp_client.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "sysutil/clock_read.hpp"
#include "sysutil/random.hpp"
#include "sysutil/rx_meta.hpp"

namespace ntplite::tools {

namespace asio = boost::asio;
using asio::ip::udp;
using std::chrono::steady_clock;

namespace {

std::string seconds_text(std::chrono::nanoseconds d) {
    return fmt::format("{:.3g}", std::chrono::duration<double>(d).count());
}

// Runs on a helper thread: plain getaddrinfo, IPv4 and IPv6, UDP.
std::expected<std::vector<UdpEndpoint>, SntpFailure> blocking_resolve(const HostPort& server) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    addrinfo* list = nullptr;
    std::string port = std::to_string(server.port);
    int rc = getaddrinfo(server.host.c_str(), port.c_str(), &hints, &list);
    if (rc != 0) {
        return std::unexpected(
            SntpFailure{SntpError::kResolveFailed,
                        "cannot resolve '" + server.host + "': " + gai_strerror(rc), 0});
    }
    std::vector<UdpEndpoint> out;
    for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        UdpEndpoint e;
        std::memcpy(e.data(), ai->ai_addr, ai->ai_addrlen);
        e.resize(ai->ai_addrlen);
        bool seen = false;
        for (const auto& o : out) seen = seen || o == e;
        if (!seen) out.push_back(e);
    }
    freeaddrinfo(list);
    if (out.empty()) {
        return std::unexpected(SntpFailure{SntpError::kResolveFailed,
                                           "'" + server.host + "' has no IPv4 or IPv6 address", 0});
    }
    return out;
}

}  // namespace

std::string to_string(const UdpEndpoint& e) {
    auto a = e.address();
    std::string host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
    return host + ":" + std::to_string(e.port());
}

proto::NtpTimestamp random_transmit_cookie() {
    uint64_t v = 0;
    while (v == 0) v = sysutil::random_u64();
    return proto::NtpTimestamp{v};
}

std::expected<std::vector<UdpEndpoint>, SntpFailure> resolve_server(
    const HostPort& server, std::chrono::nanoseconds timeout) {
    boost::system::error_code ec;
    auto literal = asio::ip::make_address(server.host, ec);
    if (!ec) return std::vector<UdpEndpoint>{UdpEndpoint(literal, server.port)};
    if (server.is_ipv6_literal) {
        return std::unexpected(
            SntpFailure{SntpError::kResolveFailed, "bad IPv6 address '" + server.host + "'", 0});
    }
    using Result = std::expected<std::vector<UdpEndpoint>, SntpFailure>;
    auto promise = std::make_shared<std::promise<Result>>();
    auto future = promise->get_future();
    std::thread([promise, server] { promise->set_value(blocking_resolve(server)); }).detach();
    if (future.wait_for(timeout) != std::future_status::ready) {
        return std::unexpected(SntpFailure{
            SntpError::kResolveFailed,
            "resolving '" + server.host + "' timed out after " + seconds_text(timeout) + " s", 0});
    }
    return future.get();
}

SntpClient::SntpClient(asio::io_context& io, std::vector<UdpEndpoint> addresses)
    : io_(io), addresses_(std::move(addresses)) {}

std::expected<SntpSample, SntpFailure> SntpClient::query(std::chrono::nanoseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    std::optional<SntpFailure> worst;
    const std::size_t n = addresses_.size();
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t index = (preferred_ + i) % n;
        auto remaining = deadline - steady_clock::now();
        if (remaining <= steady_clock::duration::zero()) break;
        auto share_deadline = steady_clock::now() + remaining / static_cast<long>(n - i);
        auto r = query_address(addresses_[index], share_deadline);
        if (r) {
            preferred_ = index;
            last_accepted_transmit_ = r->reply.transmit;
            return r;
        }
        const SntpError e = r.error().error;
        if (e == SntpError::kKissOfDeath || e == SntpError::kUnsynchronized) return r;
        // Replies that failed the tests say more than silence does.
        if (!worst || e == SntpError::kInvalidResponse ||
            worst->error != SntpError::kInvalidResponse) {
            worst = r.error();
        }
    }
    if (!worst) {
        worst = SntpFailure{SntpError::kNoAnswer,
                            "no answer within " + seconds_text(timeout) + " s", 0};
    }
    return std::unexpected(*worst);
}

bool SntpClient::wait_readable(udp::socket& socket, steady_clock::time_point deadline) {
    bool done = false;
    socket.async_wait(udp::socket::wait_read, [&done](const boost::system::error_code&) {
        done = true;  // errors (e.g. ICMP unreachable) surface in recvmsg
    });
    io_.restart();
    while (!done && steady_clock::now() < deadline && io_.run_one_until(deadline) > 0) {
    }
    if (!done) {
        // The handler captures `done` by reference: let it run (aborted) before returning.
        boost::system::error_code ignored;
        socket.cancel(ignored);
        io_.restart();
        io_.run();
        return false;
    }
    return true;
}

std::expected<SntpSample, SntpFailure> SntpClient::query_address(
    const UdpEndpoint& address, steady_clock::time_point deadline) {
    const std::string where = to_string(address);
    const auto budget = deadline - steady_clock::now();
    auto net_failure = [&](const char* what, const boost::system::error_code& ec) {
        // No route or an ICMP "unreachable" is the network's answer, not a local fault.
        const int e = ec.value();
        const bool unreachable = ec.category() == boost::system::system_category() &&
                                 (e == ENETUNREACH || e == EHOSTUNREACH || e == EADDRNOTAVAIL ||
                                  e == ENETDOWN || e == EHOSTDOWN);
        return std::unexpected(SntpFailure{unreachable ? SntpError::kNoAnswer : SntpError::kNetwork,
                                           std::string(what) + " " + where + ": " + ec.message(),
                                           0});
    };
    // A fresh socket per request: a random source port (bind to port 0), and no late answers
    // to an earlier request can be mistaken for this one's.
    udp::socket socket(io_);
    boost::system::error_code ec;
    socket.open(address.protocol(), ec);
    if (ec) return net_failure("cannot open a socket for", ec);
    socket.bind(UdpEndpoint(address.protocol(), 0), ec);
    if (ec) return net_failure("cannot bind a socket for", ec);
    // connect() makes the kernel drop datagrams from other sources and report ICMP errors.
    socket.connect(address, ec);
    if (ec) return net_failure("cannot reach", ec);
    socket.non_blocking(true, ec);
    int on = 1;
    const bool kernel_ts =
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;

    std::array<std::byte, proto::kHeaderSize> request{};
    RequestContext ctx;
    ctx.transmit_cookie = random_transmit_cookie();
    ctx.last_accepted_transmit = last_accepted_transmit_;
    build_request(ctx.transmit_cookie, request);
    ctx.t1_unix_ns = sysutil::realtime_ns();
    socket.send(asio::buffer(request), 0, ec);
    if (ec) return net_failure("cannot send to", ec);

    std::optional<SntpFailure> ignored;
    while (wait_readable(socket, deadline)) {
        // Drain everything queued; each datagram is judged on its own.
        for (;;) {
            std::array<std::byte, proto::kMaxPacketSize + 1> buf;
            alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(timespec)) * 2> control;
            iovec iov{buf.data(), buf.size()};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.data();
            msg.msg_controllen = control.size();
            ssize_t n = recvmsg(socket.native_handle(), &msg, MSG_DONTWAIT);
            int64_t t4 = sysutil::realtime_ns();
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
                if (errno == ECONNREFUSED) {
                    return std::unexpected(
                        SntpFailure{SntpError::kNoAnswer,
                                    "no NTP server at " + where + " (port unreachable)", 0});
                }
                return net_failure(
                    "cannot receive from",
                    boost::system::error_code(errno, boost::system::system_category()));
            }
            const std::optional<int64_t> kernel_t4 = sysutil::read_rx_timestamp(msg);
            const bool have_kernel_t4 = kernel_t4.has_value();
            if (kernel_t4) t4 = *kernel_t4;
            ctx.t4_unix_ns = t4;
            auto verdict = evaluate_reply(
                std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)), ctx);
            switch (verdict.kind) {
                case ReplyVerdict::Kind::kAccepted:
                    verdict.sample.kernel_rx_timestamp = kernel_ts && have_kernel_t4;
                    verdict.sample.server_address = address.address().to_string();
                    verdict.sample.server_port = address.port();
                    return std::move(verdict.sample);
                case ReplyVerdict::Kind::kRejected:
                    verdict.failure.message += " from " + where;
                    return std::unexpected(std::move(verdict.failure));
                case ReplyVerdict::Kind::kIgnored:
                    ignored = std::move(verdict.failure);
                    break;
            }
        }
    }
    if (ignored) {
        ignored->message =
            "only invalid replies from " + where + " (last: " + ignored->message + ")";
        return std::unexpected(std::move(*ignored));
    }
    return std::unexpected(
        SntpFailure{SntpError::kNoAnswer,
                    "no answer from " + where + " within " + seconds_text(budget) + " s", 0});
}

}  // namespace ntplite::tools
