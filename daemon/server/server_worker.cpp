#include "daemon/server/server_worker.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <netinet/in.h>

#include "daemon/control/control_udp.hpp"
#include "daemon/server/udp_batch.hpp"
#include "sysutil/rx_meta.hpp"

namespace ntplite::daemon {

ServerWorker::ServerWorker(std::string name, std::shared_ptr<const Acl> acl,
                           const config::RateLimitConfig& ratelimit, const StatePublisher& state,
                           uint64_t seed, asio::io_context* shared_io)
    : name_(std::move(name)),
      acl_(std::move(acl)),
      seed_(seed),
      state_(state),
      own_io_(shared_io ? nullptr : std::make_unique<asio::io_context>(1)),
      io_(shared_io ? *shared_io : *own_io_) {
    if (ratelimit.enabled) limiter_.emplace(ratelimit, seed);
    ctx_.acl = acl_->allows_all() ? nullptr : acl_.get();
    ctx_.limiter = limiter_ ? &*limiter_ : nullptr;
    ctx_.counters = &counters_;
    ctx_.clients = &clients_;
    for (unsigned i = 0; i < kBatch; ++i) {
        rx_iov_[i] = iovec{rx_buf_[i].data(), rx_buf_[i].size()};
        tx_iov_[i] = iovec{tx_buf_[i].data(), tx_buf_[i].size()};
        tx_msgs_[i].msg_hdr.msg_iov = &tx_iov_[i];
        tx_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
}

void ServerWorker::set_keys(std::shared_ptr<const auth::KeySet> keys) {
    auth_ = std::make_unique<auth::ServerAuth>(std::move(keys));
    if (nts_) auth_->set_nts(nts_.get());
    ctx_.auth = auth_.get();
}

void ServerWorker::replace_keys(std::shared_ptr<const auth::KeySet> keys) {
    // The OpenSSL contexts are made here, not on the worker: it only swaps a pointer. A batch
    // is checked and sealed within one handler, so no reply straddles the two key sets.
    auto fresh = std::make_shared<std::unique_ptr<auth::ServerAuth>>(
        std::make_unique<auth::ServerAuth>(std::move(keys)));
    asio::post(io_, [this, fresh] {
        if (nts_) (*fresh)->set_nts(nts_.get());
        auth_.swap(*fresh);
        ctx_.auth = auth_.get();
        // The old contexts go with `fresh`, once this handler is done with it.
    });
}

void ServerWorker::set_nts(const nts::KeyRingPublisher* keys) {
    nts_keys_ = keys;
    nts_ = std::make_unique<proto::nts::NtsServerHandler>();
    nts_version_ = keys->version();
    nts_->set_ring(keys->read());
    if (!auth_) auth_ = std::make_unique<auth::ServerAuth>(nullptr);
    auth_->set_nts(nts_.get());
    ctx_.auth = auth_.get();
}

ServerWorker::~ServerWorker() {
    stop();
}

std::expected<void, std::string> ServerWorker::add_endpoint(const Endpoint& endpoint) {
    sockaddr_storage ss{};
    socklen_t len = endpoint.to_sockaddr(ss);
    const char* what = "";
    int fd = open_server_socket(ss, len, &what);
    if (fd < 0) {
        const int err = errno;
        std::string hint;
        if (err == EACCES && endpoint.port < 1024)
            hint = ": ports below 1024 need root or CAP_NET_BIND_SERVICE";
        else if (err == EADDRNOTAVAIL)
            hint = ": not an address of this machine";
        return std::unexpected("cannot listen on " + endpoint.to_string() + ": " + what + ": " +
                               std::strerror(err) + hint);
    }
    asio::ip::udp::socket sock(io_);
    boost::system::error_code ec;
    sock.assign(ss.ss_family == AF_INET ? asio::ip::udp::v4() : asio::ip::udp::v6(), fd, ec);
    if (ec) {
        ::close(fd);
        return std::unexpected("cannot listen on " + endpoint.to_string() + ": " + ec.message());
    }
    sockets_.push_back(std::move(sock));
    return {};
}

void ServerWorker::reconfigure(std::shared_ptr<const Acl> acl,
                               const config::RateLimitConfig& ratelimit) {
    // Runs on the worker's thread, so serve_one() never sees a half-applied change.
    asio::post(io_, [this, acl = std::move(acl), ratelimit] {
        acl_ = acl;
        ctx_.acl = acl_->allows_all() ? nullptr : acl_.get();
        if (!ratelimit.enabled) {
            limiter_.reset();
        } else if (limiter_) {
            limiter_->set_limits(ratelimit);  // a new table_size needs a restart
        } else {
            limiter_.emplace(ratelimit, seed_);
        }
        ctx_.limiter = limiter_ ? &*limiter_ : nullptr;
    });
}

void ServerWorker::start() {
    for (std::size_t i = 0; i < sockets_.size(); ++i) arm(i);
    if (own_io_) thread_ = std::thread([this] { io_.run(); });
}

void ServerWorker::stop() {
    if (!own_io_) {
        // Shared io_context: only our pending waits end (operation_aborted); the owner's
        // run() goes on with its other work.
        boost::system::error_code ec;
        for (auto& s : sockets_) s.cancel(ec);
        return;
    }
    io_.stop();
    if (thread_.joinable()) thread_.join();
}

void ServerWorker::arm(std::size_t socket_index) {
    sockets_[socket_index].async_wait(asio::ip::udp::socket::wait_read,
                                      [this, socket_index](const boost::system::error_code& ec) {
                                          if (ec) return;  // cancelled: shutting down
                                          drain(socket_index);
                                          arm(socket_index);
                                      });
}

void ServerWorker::prepare_receive() {
    for (unsigned i = 0; i < kBatch; ++i) {
        msghdr& h = rx_msgs_[i].msg_hdr;
        h.msg_name = &rx_addr_[i];
        h.msg_namelen = sizeof(sockaddr_storage);
        h.msg_iov = &rx_iov_[i];
        h.msg_iovlen = 1;
        h.msg_control = rx_ctrl_[i].data();
        h.msg_controllen = rx_ctrl_[i].size();
        h.msg_flags = 0;
    }
}

void ServerWorker::drain(std::size_t socket_index) {
    int fd = sockets_[socket_index].native_handle();
    for (unsigned round = 0; round < kMaxBatchesPerWake; ++round) {
        prepare_receive();
        int n = receive_batch(fd, rx_msgs_.data(), kBatch);
        if (n < 0) {
            // ICMP errors (ECONNREFUSED from an earlier send) surface here; nothing was lost.
            if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) continue;
            spdlog::warn("{}: receive failed: {}", name_, std::strerror(errno));
            return;
        }
        if (n == 0) return;
        process_batch(fd, static_cast<unsigned>(n));
        if (static_cast<unsigned>(n) < kBatch) return;  // queue drained
    }
}

void ServerWorker::process_batch(int fd, unsigned n) {
    if (nts_keys_ && nts_keys_->version() != nts_version_) {
        // A master key rotation: one copy per rotation, not per packet.
        nts_version_ = nts_keys_->version();
        nts_->set_ring(nts_keys_->read());
    }
    // One clock read serves every datagram that came without a kernel timestamp: it is taken
    // right after the receive call returned, as close as user space can get.
    const int64_t fallback_rx_ns = realtime_ns();
    const int64_t now_mono_ns = monotonic_ns();
    const proto::SystemState state = state_.read();
    unsigned replies = 0;
    for (unsigned i = 0; i < n; ++i) {
        msghdr& h = rx_msgs_[i].msg_hdr;
        const sysutil::RxMeta meta = sysutil::read_rx_meta(h);
        if (!meta.kernel_rx_ns) counters_.rx_no_timestamp.bump();
        const int64_t rx_ns = meta.kernel_rx_ns.value_or(fallback_rx_ns);
        const bool truncated = (h.msg_flags & MSG_TRUNC) != 0;
        const std::size_t len = std::min<std::size_t>(rx_msgs_[i].msg_len, kRxBufSize);
        const config::IpAddress client = ip_from_sockaddr(rx_addr_[i]);
        if (control_ && !truncated && ControlUdp::is_mode6(std::span(rx_buf_[i].data(), len))) {
            // Monitoring: checked against [control] allow and answered on the engine thread.
            counters_.received.bump();
            if (!control_->offer(fd, std::span(rx_buf_[i].data(), len), client, rx_addr_[i],
                                 h.msg_namelen, meta.dst)) {
                counters_.dropped_control.bump();  // not in [control] allow (or overloaded)
            }
            continue;
        }
        const std::size_t out =
            serve_one(std::span<const std::byte>(rx_buf_[i].data(), len), truncated, client,
                      proto::NtpTimestamp::from_unix_ns(rx_ns), now_mono_ns, state, ctx_,
                      tx_buf_[replies], &tx_seal_[replies]);
        if (out == 0) continue;
        msghdr& t = tx_msgs_[replies].msg_hdr;
        t.msg_name = &rx_addr_[i];
        t.msg_namelen = h.msg_namelen;
        sysutil::set_reply_source(t, meta.dst, tx_ctrl_[replies]);
        tx_iov_[replies].iov_len = out;
        ++replies;
    }
    if (replies == 0) return;
    // T3 as late as possible: one clock read for the whole batch, just before the send call.
    const proto::NtpTimestamp tx_time = proto::NtpTimestamp::from_unix_ns(realtime_ns());
    for (unsigned i = 0; i < replies; ++i) proto::patch_transmit(tx_buf_[i], tx_time);
    // The MAC covers T3, so it is computed after the patch. A reply that cannot be sealed is
    // never sent unauthenticated: it is dropped and the rest of the batch moves up.
    if (auth_) {
        unsigned kept = 0;
        for (unsigned i = 0; i < replies; ++i) {
            std::size_t len = tx_iov_[i].iov_len;
            if (tx_seal_[i].kind != auth::AuthKind::kNone)
                len = auth_->seal_reply(tx_seal_[i], tx_buf_[i], len);
            if (len == 0) {
                counters_.send_errors.bump();
                continue;
            }
            if (kept != i) {
                tx_buf_[kept] = tx_buf_[i];
                tx_msgs_[kept].msg_hdr.msg_name = tx_msgs_[i].msg_hdr.msg_name;
                tx_msgs_[kept].msg_hdr.msg_namelen = tx_msgs_[i].msg_hdr.msg_namelen;
                tx_ctrl_[kept] = tx_ctrl_[i];
                tx_msgs_[kept].msg_hdr.msg_control =
                    tx_msgs_[i].msg_hdr.msg_control ? tx_ctrl_[kept].data() : nullptr;
                tx_msgs_[kept].msg_hdr.msg_controllen = tx_msgs_[i].msg_hdr.msg_controllen;
            }
            tx_iov_[kept].iov_len = len;
            ++kept;
        }
        replies = kept;
        if (replies == 0) return;
    }
    // A reply the kernel refuses (e.g. an unreachable destination) is skipped, not the rest of
    // the batch; a full socket buffer drops the remainder.
    unsigned done = 0;
    while (done < replies) {
        int err = 0;
        done += send_batch(fd, tx_msgs_.data() + done, replies - done, &err);
        if (done == replies) break;
        counters_.send_errors.bump();
        ++done;
        if (err == EAGAIN || err == EWOULDBLOCK || err == 0) {
            counters_.send_errors.bump(replies - done);
            break;
        }
    }
}

}  // namespace ntplite::daemon
