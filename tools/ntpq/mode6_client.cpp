#include "tools/ntpq/mode6_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "tools/ntpq/sntp_client.hpp"

namespace ntplite::tools {

bool FragmentAssembler::add(const proto::ControlMessage& f) {
    const std::size_t begin = f.header.offset;
    const std::size_t end = begin + f.header.count;
    if (f.header.more && f.header.count == 0) return false;  // would never make progress
    for (const Piece& p : pieces_) {
        if (p.offset == begin && p.bytes.size() == f.header.count) return true;  // duplicate
        const std::size_t pend = p.offset + p.bytes.size();
        if (begin < pend && p.offset < end) return false;  // overlap
    }
    if (total_ && end > *total_) return false;
    if (!f.header.more) {
        for (const Piece& p : pieces_) {
            if (p.offset + p.bytes.size() > end) return false;
        }
        total_ = end;
        status_ = f.header.status;
    }
    pieces_.push_back({f.header.offset,
                       std::string(reinterpret_cast<const char*>(f.data.data()), f.data.size())});
    std::sort(pieces_.begin(), pieces_.end(),
              [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
    return true;
}

bool FragmentAssembler::complete() const {
    if (!total_) return false;
    std::size_t at = 0;
    for (const Piece& p : pieces_) {
        if (p.offset != at) return false;
        at += p.bytes.size();
    }
    return at == *total_;
}

std::string FragmentAssembler::data() const {
    std::string out;
    for (const Piece& p : pieces_) out += p.bytes;
    return out;
}

std::string control_error_text(uint16_t code) {
    switch (code) {
        case 0:
            return "unspecified error";
        case 1:
            return "authentication failure";
        case 2:
            return "invalid message format";
        case 3:
            return "invalid or unsupported opcode";
        case 4:
            return "unknown association";
        case 5:
            return "unknown variable";
        case 6:
            return "invalid variable value";
        case 7:
            return "permission denied";
        default:
            return "error code " + std::to_string(code);
    }
}

std::expected<Mode6Response, Mode6Failure> Mode6Client::request(proto::ControlOpcode op,
                                                                uint16_t association,
                                                                std::string_view data) {
    using Kind = Mode6Failure::Kind;
    proto::ControlHeader h;
    h.version = 2;
    h.opcode = static_cast<uint8_t>(op);
    h.sequence = ++sequence_;
    h.association_id = association;
    std::array<std::byte, proto::kControlHeaderSize + proto::kControlMaxData> out{};
    const std::size_t len = proto::serialize_control(
        h, std::as_bytes(std::span<const char>(data.data(), data.size())), out);
    if (len == 0) return std::unexpected(Mode6Failure{Kind::kNetwork, 0, "request too long"});
    std::string err;
    if (!transport_.send(std::span(out.data(), len), &err)) {
        return std::unexpected(
            Mode6Failure{Kind::kNetwork, 0, "cannot send to " + peer_ + ": " + err});
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    FragmentAssembler frags;
    bool bad_seen = false;
    for (;;) {
        bool refused = false;
        auto d = transport_.receive(deadline, &refused);
        if (refused) {
            return std::unexpected(Mode6Failure{
                Kind::kUnreachable, 0, peer_ + ": port unreachable (no NTP daemon there?)"});
        }
        if (!d) {
            std::string what = frags.data().empty() ? "no answer" : "incomplete answer";
            if (bad_seen) what += " (only malformed replies)";
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout_).count();
            return std::unexpected(Mode6Failure{Kind::kUnreachable, 0,
                                                what + " from " + peer_ + " within " +
                                                    std::to_string(ms) +
                                                    " ms (daemon not running, or this address is "
                                                    "not in its [control] allow list)"});
        }
        auto msg = proto::parse_control(*d);
        if (!msg || !msg->header.response || msg->header.sequence != h.sequence ||
            msg->header.opcode != h.opcode || msg->header.association_id != association) {
            bad_seen = true;  // stray or late datagram: keep waiting
            continue;
        }
        if (msg->header.error) {
            const uint16_t code = msg->header.status >> 8;
            return std::unexpected(Mode6Failure{Kind::kRefused, code,
                                                peer_ + " refused: " + control_error_text(code)});
        }
        if (!frags.add(*msg)) {
            return std::unexpected(
                Mode6Failure{Kind::kBadResponse, 0, peer_ + ": inconsistent response fragments"});
        }
        if (frags.complete()) return Mode6Response{frags.status(), frags.data()};
    }
}

UdpMode6Transport::~UdpMode6Transport() {
    if (fd_ >= 0) ::close(fd_);
}

std::expected<std::unique_ptr<UdpMode6Transport>, Mode6Failure> UdpMode6Transport::open(
    const HostPort& server, std::chrono::nanoseconds timeout) {
    using Kind = Mode6Failure::Kind;
    auto addrs = resolve_server(server, timeout);
    if (!addrs)
        return std::unexpected(Mode6Failure{Kind::kResolveFailed, 0, addrs.error().message});
    const UdpEndpoint& ep = addrs->front();
    const int fd = ::socket(ep.data()->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::unexpected(Mode6Failure{Kind::kNetwork, 0, std::strerror(errno)});
    std::unique_ptr<UdpMode6Transport> t(new UdpMode6Transport(fd));
    // Connected: the kernel filters other senders and reports ICMP port unreachable to us.
    if (::connect(fd, ep.data(), static_cast<socklen_t>(ep.size())) != 0) {
        return std::unexpected(Mode6Failure{
            Kind::kNetwork, 0, "cannot reach " + to_string(ep) + ": " + std::strerror(errno)});
    }
    return t;
}

bool UdpMode6Transport::send(std::span<const std::byte> datagram, std::string* error) {
    if (::send(fd_, datagram.data(), datagram.size(), 0) == static_cast<ssize_t>(datagram.size()))
        return true;
    *error = std::strerror(errno);
    return false;
}

std::optional<std::vector<std::byte>> UdpMode6Transport::receive(
    std::chrono::steady_clock::time_point deadline, bool* refused) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd p{fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return std::nullopt;
        std::vector<std::byte> buf(2048);
        const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n < 0) {
            if (errno == ECONNREFUSED) {
                *refused = true;
                return std::nullopt;
            }
            if (errno == EINTR || errno == EAGAIN) continue;
            return std::nullopt;
        }
        buf.resize(static_cast<std::size_t>(n));
        return buf;
    }
}

}  // namespace ntplite::tools
