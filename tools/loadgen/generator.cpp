#include "tools/loadgen/generator.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sysutil/clock_read.hpp"
#include "tools/loadgen/nts_request.hpp"
#include "tools/loadgen/wire.hpp"

namespace ntplite::tools::loadgen {
namespace {

// Send times are kept for the last 2^22 requests of a thread (~10 s at 400k/s); replies to older
// requests count as late. Indexed by sequence, so matching a reply is one array access.
constexpr unsigned kRingBits = 22;
constexpr uint64_t kRingSize = uint64_t{1} << kRingBits;
constexpr uint64_t kRingMask = kRingSize - 1;
// Receive buffers are larger than a request so that an over-long reply is seen, not truncated.
constexpr std::size_t kRecvBufferBytes = 1100;
constexpr int kSocketBufferBytes = 4 << 20;
// Largest NTS request we send, bytes (servers, ours included, read datagrams up to 1024 bytes).
constexpr std::size_t kMaxNtsRequestBytes = 1024;
// A GSO write is one UDP datagram before the kernel splits it: at most 65507 bytes of payload.
constexpr std::size_t kMaxGsoBytes = 65507;
// Sequence numbers are 32 bits; stop well before they would wrap.
constexpr uint64_t kMaxSequence = 0xFFF00000u;

uint64_t monotonic_ns() {
    return static_cast<uint64_t>(sysutil::monotonic_ns());
}

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

// Owns the file descriptors of one thread.
struct Fds {
    std::vector<int> fds;
    ~Fds() {
        for (int fd : fds)
            if (fd >= 0) close(fd);
    }
};

std::string open_socket(const Options& o, unsigned global_index, std::size_t request_bytes,
                        int& fd_out) {
    int fd = socket(o.target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno_text("socket");
    fd_out = fd;
    int size = kSocketBufferBytes;
    // SO_*BUFFORCE works as root and ignores rmem_max; fall back to the capped variant.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (o.gso) {
        // The kernel splits each write into request-sized datagrams: one pass through the send path
        // per batch instead of per request, so the generator spends less CPU than the server.
        int segment = static_cast<int>(request_bytes);
        if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, sizeof segment) != 0)
            return errno_text("setsockopt UDP_SEGMENT (try without --gso)");
    }
    if (o.spoof_sources > 0) {
        // Unconnected, on the wildcard address: replies to every spoofed source arrive here.
        sockaddr_in any{};
        any.sin_family = AF_INET;
        any.sin_addr.s_addr = htonl(INADDR_ANY);
        if (bind(fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0)
            return errno_text("bind wildcard");
        return {};
    }
    if (o.source_addrs > 1) {
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(0x7F000001u + global_index % o.source_addrs);
        if (bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0)
            return errno_text("bind source address");
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&o.target), o.target_len) != 0)
        return errno_text("connect");
    return {};
}

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// The per-thread state of a run: buffers prepared once, reused for every batch.
class Worker {
  public:
    Worker(const Options& o, unsigned thread_index, uint32_t nonce24, ThreadStats& stats)
        : o_(o),
          thread_(static_cast<uint8_t>(thread_index)),
          nonce24_(nonce24),
          st_(stats),
          codec_(make_codec(o)),
          req_bytes_(codec_ ? codec_->request_size() : kNtpHeaderBytes),
          ring_(kRingSize, 0),
          send_buf_(o.batch * req_bytes_),
          recv_buf_(o.batch * kRecvBufferBytes),
          send_iov_(o.batch),
          recv_iov_(o.batch),
          send_msgs_(o.batch),
          recv_msgs_(o.batch),
          send_cmsg_(o.spoof_sources > 0 ? o.batch : 0) {
        for (unsigned i = 0; i < o.batch; ++i) {
            send_iov_[i] = {send_buf_.data() + i * req_bytes_, req_bytes_};
            send_msgs_[i].msg_hdr.msg_iov = &send_iov_[i];
            send_msgs_[i].msg_hdr.msg_iovlen = 1;
            if (o.spoof_sources > 0) {
                // Unconnected: each message names the target and its source (IP_PKTINFO).
                msghdr& h = send_msgs_[i].msg_hdr;
                h.msg_name = const_cast<sockaddr_storage*>(&o.target);
                h.msg_namelen = o.target_len;
                h.msg_control = send_cmsg_[i].buf;
                h.msg_controllen = sizeof send_cmsg_[i].buf;
                cmsghdr* c = CMSG_FIRSTHDR(&h);
                c->cmsg_level = IPPROTO_IP;
                c->cmsg_type = IP_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
            }
            recv_iov_[i] = {recv_buf_.data() + i * kRecvBufferBytes, kRecvBufferBytes};
            recv_msgs_[i].msg_hdr.msg_iov = &recv_iov_[i];
            recv_msgs_[i].msg_hdr.msg_iovlen = 1;
        }
    }

    /// Empty when the worker is usable (the NTS codec accepted the credentials).
    std::string setup_error() const {
        if (o_.nts && !codec_->ok())
            return "NTS credentials unusable (no cookie, unequal cookie sizes or unknown AEAD)";
        // Replies are read into kRecvBufferBytes; NTS servers take datagrams up to 1024 bytes.
        if (req_bytes_ > kMaxNtsRequestBytes)
            return "NTS request of " + std::to_string(req_bytes_) +
                   " bytes is too large: use fewer --nts-placeholders";
        if (o_.gso && req_bytes_ * o_.batch > kMaxGsoBytes)
            return "--gso: batch x request size exceeds a UDP datagram; use a smaller --batch";
        return {};
    }
    std::size_t request_bytes() const { return req_bytes_; }

    // Send up to `n` requests on `fd`; requests the kernel does not take are not retried (open
    // loop) and count as blocked or errors.
    void send_batch(int fd, unsigned n, uint64_t now_ns) {
        for (unsigned i = 0; i < n; ++i) {
            uint32_t seq = next_seq_ + i;
            unsigned char* req = send_buf_.data() + i * req_bytes_;
            const uint64_t tag = encode_tag({nonce24_, thread_, seq});
            if (codec_) {
                // The authenticator covers the transmit timestamp: seal after the tag is set.
                if (!codec_->build(o_.ntp_version, tag, seq,
                                   std::as_writable_bytes(std::span(req, req_bytes_)))) {
                    st_.send_errors += n;
                    return;
                }
            } else {
                build_request(req, o_.ntp_version, tag);
            }
            ring_[seq & kRingMask] = now_ns;
            if (o_.spoof_sources > 0) {
                in_pktinfo info{};
                info.ipi_spec_dst.s_addr = htonl(kSpoofFirstAddr + next_source_);
                std::memcpy(CMSG_DATA(CMSG_FIRSTHDR(&send_msgs_[i].msg_hdr)), &info, sizeof info);
                next_source_ = next_source_ + 1 == o_.spoof_sources ? 0 : next_source_ + 1;
            }
        }
        int r = 0;
        if (o_.gso) {
            iovec iov{send_buf_.data(), n * req_bytes_};
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            ssize_t bytes = sendmsg(fd, &msg, 0);
            r = bytes < 0 ? -1 : static_cast<int>(static_cast<std::size_t>(bytes) / req_bytes_);
        } else {
            r = sendmmsg(fd, send_msgs_.data(), n, 0);
        }
        if (r < 0) {
            if (errno == EAGAIN || errno == ENOBUFS)
                st_.send_blocked += n;
            else if (errno == ECONNREFUSED)
                ++st_.refused;  // the ICMP error was reported here instead; nothing was sent
            else
                st_.send_errors += n;
            return;
        }
        st_.sent += static_cast<unsigned>(r);
        st_.send_blocked += n - static_cast<unsigned>(r);
        next_seq_ += static_cast<uint32_t>(r);
    }

    // Read everything queued on `fd`.
    void drain_socket(int fd) {
        for (;;) {
            for (unsigned i = 0; i < o_.batch; ++i) recv_msgs_[i].msg_hdr.msg_flags = 0;
            int r = recvmmsg(fd, recv_msgs_.data(), o_.batch, MSG_DONTWAIT, nullptr);
            if (r < 0) {
                if (errno == ECONNREFUSED) {
                    ++st_.refused;
                    continue;
                }
                return;  // EAGAIN: empty
            }
            uint64_t now_ns = monotonic_ns();
            for (int i = 0; i < r; ++i) {
                std::size_t len = recv_msgs_[i].msg_len;
                if (recv_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) len = kRecvBufferBytes + 1;
                handle_reply(recv_buf_.data() + i * kRecvBufferBytes, len, now_ns);
            }
            if (static_cast<unsigned>(r) < o_.batch) return;
        }
    }

    void handle_reply(const unsigned char* p, std::size_t len, uint64_t now_ns) {
        ++st_.received;
        uint64_t raw_tag = 0;
        const ReplyKind kind = classify_reply(p, len, o_.ntp_version, raw_tag, req_bytes_);
        if (codec_ && (kind == ReplyKind::kAnswer || kind == ReplyKind::kKissOfDeath)) {
            handle_nts_reply(p, len, kind, raw_tag, now_ns);
            return;
        }
        switch (kind) {
            case ReplyKind::kTooShort:
                ++st_.invalid_short;
                return;
            case ReplyKind::kTooLong:
                ++st_.invalid_long;
                return;
            case ReplyKind::kBadMode:
                ++st_.invalid_mode;
                return;
            case ReplyKind::kBadVersion:
                ++st_.invalid_version;
                return;
            case ReplyKind::kKissOfDeath:
                if (match(raw_tag, now_ns)) ++st_.kod;
                return;
            case ReplyKind::kAnswer:
                if (auto lat = match(raw_tag, now_ns)) {
                    ++st_.valid;
                    st_.latency.record(lat);
                }
                return;
        }
    }

    // NTS: the unique id must be the one the origin's request carried, the NTS fields well formed
    // and (on every --nts-verify-every'th reply) the authenticator must verify under S2C. A reply
    // failing a check does not mark its request answered (a forgery must not cancel the real one).
    void handle_nts_reply(const unsigned char* p, std::size_t len, ReplyKind kind, uint64_t raw_tag,
                          uint64_t now_ns) {
        RequestTag tag = decode_tag(raw_tag);
        if (tag.nonce24 != (nonce24_ & 0xFFFFFFu) || tag.thread != thread_ ||
            tag.sequence >= next_seq_) {
            ++st_.invalid_origin;
            return;
        }
        const bool verify = verify_countdown_ <= 1;
        verify_countdown_ = verify ? o_.nts_verify_every : verify_countdown_ - 1;
        switch (codec_->check(std::as_bytes(std::span(p, len)), raw_tag, verify)) {
            case NtsReplyKind::kBadUniqueId:
                ++st_.invalid_nts_uid;
                return;
            case NtsReplyKind::kMalformed:
                ++st_.invalid_nts_malformed;
                return;
            case NtsReplyKind::kBadAuth:
                ++st_.invalid_nts_auth;
                return;
            case NtsReplyKind::kNak:
                if (match(raw_tag, now_ns)) ++st_.nts_naks;
                return;
            case NtsReplyKind::kAuthenticated:
            case NtsReplyKind::kUnverified:
                break;
        }
        if (kind == ReplyKind::kKissOfDeath) {
            if (match(raw_tag, now_ns)) ++st_.kod;
            return;
        }
        if (auto lat = match(raw_tag, now_ns)) {
            ++st_.valid;
            if (verify) ++st_.nts_verified;
            st_.latency.record(lat);
        }
    }

    // Latency in ns (>= 1) of the request `raw_tag` names, marking it answered; 0 if the tag is
    // not an unanswered request of this thread (the matching counter is bumped).
    uint64_t match(uint64_t raw_tag, uint64_t now_ns) {
        RequestTag tag = decode_tag(raw_tag);
        if (tag.nonce24 != (nonce24_ & 0xFFFFFFu) || tag.thread != thread_ ||
            tag.sequence >= next_seq_) {
            ++st_.invalid_origin;
            return 0;
        }
        if (next_seq_ - tag.sequence > kRingSize) {
            ++st_.late;
            return 0;
        }
        uint64_t& sent_ns = ring_[tag.sequence & kRingMask];
        if (sent_ns == 0) {
            ++st_.duplicates;
            return 0;
        }
        uint64_t lat = now_ns > sent_ns ? now_ns - sent_ns : 1;
        sent_ns = 0;
        if (tag.sequence - oldest_ < next_seq_ - oldest_) ++answered_in_window_;  // not yet expired
        return lat;
    }

    uint32_t next_seq() const { return next_seq_; }

    // Requests sent but neither answered nor older than `timeout_ns` (for the --window limit).
    // Walks the oldest in-window requests forward; amortized O(1) per request.
    uint64_t in_flight(uint64_t now_ns, uint64_t timeout_ns) {
        while (oldest_ != next_seq_) {
            uint64_t sent_ns = ring_[oldest_ & kRingMask];
            if (sent_ns == 0) {
                --answered_in_window_;
            } else if (now_ns - sent_ns > timeout_ns) {
                ++st_.timed_out;
            } else {
                break;
            }
            ++oldest_;
        }
        return next_seq_ - oldest_ - answered_in_window_;
    }

  private:
    static std::unique_ptr<NtsRequestCodec> make_codec(const Options& o) {
        if (!o.nts) return nullptr;
        // Per-thread random salt: unique ids differ between runs and threads.
        std::array<std::byte, kNtsUidSaltBytes> salt{};
        std::random_device rd;
        for (auto& b : salt) b = std::byte(rd() & 0xFFu);
        return std::make_unique<NtsRequestCodec>(*o.nts, o.nts_placeholders, salt);
    }

    const Options& o_;
    uint8_t thread_;
    uint32_t nonce24_;
    ThreadStats& st_;
    std::unique_ptr<NtsRequestCodec> codec_;  // NTS mode only
    std::size_t req_bytes_;                   // size of every request, bytes
    unsigned verify_countdown_ = 1;           // NTS: verify the authenticator when it reaches 1
    uint32_t next_seq_ = 0;
    uint32_t oldest_ = 0;              // first request still counted in flight (--window)
    uint64_t answered_in_window_ = 0;  // answered requests in [oldest_, next_seq_)
    std::vector<uint64_t> ring_;       // send time (monotonic ns) by sequence; 0 = answered
    std::vector<unsigned char> send_buf_;
    std::vector<unsigned char> recv_buf_;
    std::vector<iovec> send_iov_;
    std::vector<iovec> recv_iov_;
    std::vector<mmsghdr> send_msgs_;
    std::vector<mmsghdr> recv_msgs_;
    struct Cmsg {
        alignas(cmsghdr) unsigned char buf[CMSG_SPACE(sizeof(in_pktinfo))];
    };
    std::vector<Cmsg> send_cmsg_;  // --spoof-sources: one IP_PKTINFO per message
    uint32_t next_source_ = 0;     // --spoof-sources: index of the next source address
};

}  // namespace

void ThreadStats::add(const ThreadStats& o) {
    sent += o.sent;
    send_blocked += o.send_blocked;
    send_errors += o.send_errors;
    received += o.received;
    valid += o.valid;
    kod += o.kod;
    invalid_short += o.invalid_short;
    invalid_long += o.invalid_long;
    invalid_mode += o.invalid_mode;
    invalid_version += o.invalid_version;
    invalid_origin += o.invalid_origin;
    duplicates += o.duplicates;
    late += o.late;
    refused += o.refused;
    nts_naks += o.nts_naks;
    nts_verified += o.nts_verified;
    invalid_nts_uid += o.invalid_nts_uid;
    invalid_nts_malformed += o.invalid_nts_malformed;
    invalid_nts_auth += o.invalid_nts_auth;
    send_phase_s = std::max(send_phase_s, o.send_phase_s);
    idle_s += o.idle_s;
    latency.merge(o.latency);
}

std::string run_generator_thread(const Options& o, unsigned thread_index, unsigned first_socket,
                                 unsigned socket_count, double rate_per_s, uint32_t nonce24,
                                 ThreadStats& st) {
    if (!o.cpus.empty()) pin_to_cpu(o.cpus[thread_index % o.cpus.size()]);

    Worker w(o, thread_index, nonce24, st);
    if (auto err = w.setup_error(); !err.empty()) return err;
    Fds owned;
    owned.fds.assign(socket_count, -1);
    for (unsigned i = 0; i < socket_count; ++i)
        if (auto err = open_socket(o, first_socket + i, w.request_bytes(), owned.fds[i]);
            !err.empty())
            return err;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return errno_text("epoll_create1");
    owned.fds.push_back(ep);
    for (unsigned i = 0; i < socket_count; ++i) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = i;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, owned.fds[i], &ev) != 0) return errno_text("epoll_ctl");
    }

    std::vector<epoll_event> events(std::min<unsigned>(socket_count, 256));
    // Returns how many datagrams arrived.
    auto poll_replies = [&](int timeout_ms) {
        uint64_t before = st.received;
        int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
        for (int i = 0; i < n; ++i) w.drain_socket(owned.fds[events[i].data.u32]);
        return st.received - before;
    };
    uint64_t idle_ns = 0;  // time spent with nothing to send and nothing received

    const uint64_t timeout_ns = uint64_t{o.timeout_ms} * 1'000'000u;
    const uint64_t duration_ns = static_cast<uint64_t>(o.duration_s * 1e9);
    const uint64_t t0 = monotonic_ns();
    const uint64_t t_end = t0 + duration_ns;
    unsigned next_socket = 0;
    uint64_t attempted = 0;  // requests due so far that were offered to the kernel
    uint64_t now = t0;
    while (now < t_end && w.next_seq() < kMaxSequence) {
        unsigned n = o.batch;
        if (rate_per_s > 0) {
            // Token pacing: the number of requests due by now, minus those already attempted.
            auto due = static_cast<uint64_t>(rate_per_s * static_cast<double>(now - t0) / 1e9) + 1;
            uint64_t allowed = due > attempted ? due - attempted : 0;
            n = static_cast<unsigned>(std::min<uint64_t>(allowed, o.batch));
        }
        if (o.window > 0 && n > 0) {
            uint64_t busy = w.in_flight(now, timeout_ns);
            uint64_t free = busy >= o.window ? 0 : o.window - busy;
            // Wait for a full batch of free slots (or half the window): small batches would make
            // the generator, not the server, the bottleneck.
            if (free < n && free < o.window / 2) {
                // Busy-poll: a sleeping generator would cost the server wake-ups.
                if (poll_replies(0) == 0) idle_ns += monotonic_ns() - now;
                now = monotonic_ns();
                continue;
            }
            n = static_cast<unsigned>(std::min<uint64_t>(n, free));
        }
        if (n > 0) {
            w.send_batch(owned.fds[next_socket], n, now);
            attempted += n;  // sent, blocked or failed: open loop never retries
            next_socket = (next_socket + 1) % socket_count;
            poll_replies(0);
        } else {
            // Nothing due: wait for replies until the next request is due (ms granularity is
            // fine; pacing catches up by sending the missed requests in the next batch).
            double wait_ns = (static_cast<double>(attempted) + 1) / rate_per_s * 1e9 -
                             static_cast<double>(now - t0);
            if (poll_replies(wait_ns >= 1e6 ? 1 : 0) == 0) idle_ns += monotonic_ns() - now;
        }
        now = monotonic_ns();
    }
    st.send_phase_s = static_cast<double>(now - t0) / 1e9;
    st.idle_s = static_cast<double>(idle_ns) / 1e9;

    // Drain: late replies still count, until every request is answered or the drain time ends.
    const uint64_t drain_end = now + uint64_t{o.drain_ms} * 1'000'000u;
    while (now < drain_end && st.valid + st.kod + st.nts_naks < st.sent) {
        uint64_t left_ms = (drain_end - now) / 1'000'000u;
        poll_replies(static_cast<int>(std::min<uint64_t>(left_ms + 1, 50)));
        now = monotonic_ns();
    }
    return {};
}

}  // namespace ntplite::tools::loadgen
