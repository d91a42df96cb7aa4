// One server worker thread: its own io_context and its own SO_REUSEPORT socket per listen
// endpoint. Asio only tells it when a socket is readable; it then drains the socket with native
// batched receives (kernel RX timestamps in cmsgs), decides each datagram with serve_one(),
// stamps T3 once per batch right before the batched send. Every buffer is preallocated here.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <ctime>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "daemon/common/asio.hpp"
#include "daemon/nts/key_store.hpp"
#include "daemon/policy/server/acl.hpp"
#include "daemon/policy/server/client_table.hpp"
#include "daemon/policy/server/counters.hpp"
#include "daemon/policy/server/rate_limiter.hpp"
#include "daemon/policy/server/serve.hpp"
#include "daemon/policy/server/state_publisher.hpp"
#include "daemon/server/listen.hpp"
#include "proto/nts/crypto/server_handler.hpp"
#include "proto/packet.hpp"
#include "sysutil/clock_read.hpp"

namespace ntplite::daemon {

class ControlUdp;

class ServerWorker {
  public:
    /// Datagrams per recvmmsg/sendmmsg call.
    static constexpr unsigned kBatch = 32;
    /// Batches drained per readiness event before yielding to the worker's other sockets.
    static constexpr unsigned kMaxBatchesPerWake = 16;
    /// Client addresses remembered per worker for `ntpq-lite clients` (64 bytes each).
    static constexpr std::size_t kClientSlots = 1024;

    /// `acl` and `state` must outlive the worker. `ratelimit.enabled` decides whether a limiter
    /// is created; `seed` randomises its hash. With `shared_io` (the simulator-compatible build:
    /// one thread) the worker's sockets live on that io_context and start() spawns no thread;
    /// otherwise the worker has its own io_context and thread.
    ServerWorker(std::string name, std::shared_ptr<const Acl> acl,
                 const config::RateLimitConfig& ratelimit, const StatePublisher& state,
                 uint64_t seed, asio::io_context* shared_io = nullptr);
    ~ServerWorker();
    ServerWorker(const ServerWorker&) = delete;
    ServerWorker& operator=(const ServerWorker&) = delete;

    /// Opens and binds one more socket (before start()). Error text names endpoint and step.
    std::expected<void, std::string> add_endpoint(const Endpoint& endpoint);
    /// The symmetric keys requests may be authenticated with (before start()); each worker
    /// builds its own MAC contexts. Without keys every request carrying a MAC is dropped.
    void set_keys(std::shared_ptr<const auth::KeySet> keys);
    /// A reload with a new keys file: the MAC contexts are built here (the caller's thread)
    /// and swapped in on the worker's own thread between two batches (thread-safe), so the
    /// packet path takes no lock and allocates nothing. Null = no keys.
    void replace_keys(std::shared_ptr<const auth::KeySet> keys);
    /// Serve NTS (RFC 8915) with the master keys `keys` publishes (before start(); not owned).
    /// The worker copies the key ring when its version changes, checked once per batch.
    void set_nts(const nts::KeyRingPublisher* keys);
    /// A reload: new access lists and rate limits, applied on the worker's own thread between
    /// two batches (thread-safe; the client table of an existing limiter is kept).
    void reconfigure(std::shared_ptr<const Acl> acl, const config::RateLimitConfig& ratelimit);
    /// Starts the thread.
    void start();
    /// Stops the thread and joins it (idempotent; thread-safe w.r.t. the worker).
    void stop();

    const ServerCounters& counters() const { return counters_; }
    /// The clients this worker has seen (readable from any thread, see ClientTable).
    const ClientTable& clients() const { return clients_; }
    /// Mode 6 datagrams go to `control` (before start(); nullptr = dropped and counted).
    void set_control(ControlUdp* control) { control_ = control; }
    const std::string& name() const { return name_; }

  private:
    void arm(std::size_t socket_index);
    void drain(std::size_t socket_index);
    /// Handles one received batch of `n` datagrams on `fd`.
    void process_batch(int fd, unsigned n);
    void prepare_receive();

    std::string name_;
    std::shared_ptr<const Acl> acl_;  ///< shared with the other workers of its [[server]]
    uint64_t seed_;                   ///< for a limiter created by a reload
    const StatePublisher& state_;
    std::optional<RateLimiter> limiter_;
    ServerCounters counters_;
    ClientTable clients_{kClientSlots};
    ServeContext ctx_;
    std::unique_ptr<auth::ServerAuth> auth_;  ///< this thread's MAC contexts
    const nts::KeyRingPublisher* nts_keys_ = nullptr;
    uint64_t nts_version_ = 0;
    std::unique_ptr<proto::nts::NtsServerHandler> nts_;  ///< this thread's NTS contexts
    ControlUdp* control_ = nullptr;                      ///< monitoring's mode 6 path (not owned)

    std::unique_ptr<asio::io_context> own_io_;  ///< null when running on a shared io_context
    asio::io_context& io_;
    std::vector<asio::ip::udp::socket> sockets_;
    std::thread thread_;

    // Receive side: one slot per datagram of a batch.
    static constexpr std::size_t kRxBufSize = proto::kMaxPacketSize;
    static constexpr std::size_t kCtrlSize = 128;  // room for SCM_TIMESTAMPNS (and more)
    std::array<mmsghdr, kBatch> rx_msgs_{};
    std::array<iovec, kBatch> rx_iov_{};
    std::array<sockaddr_storage, kBatch> rx_addr_{};
    std::array<std::array<std::byte, kRxBufSize>, kBatch> rx_buf_{};
    alignas(alignof(cmsghdr)) std::array<std::array<std::byte, kCtrlSize>, kBatch> rx_ctrl_{};
    // Send side: replies point at the sender's address in rx_addr_.
    std::array<mmsghdr, kBatch> tx_msgs_{};
    std::array<iovec, kBatch> tx_iov_{};
    std::array<std::array<std::byte, proto::kMaxPacketSize>, kBatch> tx_buf_{};
    std::array<auth::ReplySeal, kBatch> tx_seal_{};  ///< MAC to append once T3 is patched
    // Source-address control messages for replies from wildcard sockets (IP(V6)_PKTINFO).
    alignas(alignof(cmsghdr)) std::array<std::array<std::byte, kCtrlSize>, kBatch> tx_ctrl_{};
};

// The clock reads live in sysutil/clock_read.hpp; these keep daemon::realtime_ns() and
// daemon::monotonic_ns() working for code that still finds them here.
using sysutil::monotonic_ns;
using sysutil::realtime_ns;

}  // namespace ntplite::daemon
