#include "daemon/sync_client.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "clock/linux_clock.hpp"
#include "daemon/server_worker.hpp"
#include "proto/refid.hpp"

namespace ntplite::daemon {

namespace {

/// The core's randomness (transmit timestamps, poll jitter) from the kernel's CSPRNG, read in
/// blocks so a poll costs no system call.
class KernelRandom final : public clock::Random {
  public:
    uint64_t next_u64() override {
        if (pos_ == buf_.size()) refill();
        return buf_[pos_++];
    }

  private:
    void refill() {
        std::size_t got = 0;
        auto* bytes = reinterpret_cast<unsigned char*>(buf_.data());
        while (got < sizeof buf_) {
            ssize_t n = ::getrandom(bytes + got, sizeof buf_ - got, 0);
            if (n > 0) {
                got += static_cast<std::size_t>(n);
            } else if (n < 0 && errno != EINTR) {
                // Cannot happen on Linux >= 3.17; never leave the words predictable anyway.
                std::random_device rd;
                for (auto& w : buf_) w = (uint64_t{rd()} << 32) ^ rd() ^ w;
                break;
            }
        }
        pos_ = 0;
    }
    std::array<uint64_t, 32> buf_{};
    std::size_t pos_ = buf_.size();
};

double ns_to_s(int64_t ns) {
    return static_cast<double>(ns) * 1e-9;
}

spdlog::level::level_enum level_of(clock::EngineEvent::Kind k) {
    using K = clock::EngineEvent::Kind;
    switch (k) {
        case K::kPanic:
            return spdlog::level::err;
        case K::kTimeLoop:
        case K::kKissDeny:
        case K::kKissRate:
        case K::kStep:
        case K::kStepCapped:
        case K::kNoSelection:
            return spdlog::level::warn;
        case K::kSelected:
            return spdlog::level::info;
    }
    return spdlog::level::info;
}

}  // namespace

struct SyncClient::Group {
    config::SourceConfig cfg;
    std::string label;  // "server NAME:PORT" / "pool NAME:PORT", for logs
    PoolMembership members;
    Resolver resolver;
    asio::steady_timer retry_timer;
    int failures = 0;  // consecutive failed resolutions
    int refills = 0;   // resolutions that left free slots
    bool resolving = false;
    bool failure_logged = false;
    Group(asio::io_context& io, const config::SourceConfig& c)
        : cfg(c),
          label(std::string(c.mode == config::SourceMode::kPool ? "pool " : "server ") +
                (c.address.host.find(':') != std::string::npos ? "[" + c.address.host + "]"
                                                               : c.address.host) +
                ":" + std::to_string(c.address.port)),
          members(wanted_members(c)),
          resolver(io),
          retry_timer(io) {}
};

std::vector<config::IpAddress> local_interface_addresses() {
    std::vector<config::IpAddress> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        spdlog::warn("getifaddrs failed ({}): time-loop detection knows none of our addresses",
                     std::strerror(errno));
        return out;
    }
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr) continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            std::array<uint8_t, 4> b{};
            std::memcpy(b.data(), &sin->sin_addr, 4);
            out.push_back(config::IpAddress::from_v4(b));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            std::array<uint8_t, 16> b{};
            std::memcpy(b.data(), &sin6->sin6_addr, 16);
            out.push_back(config::IpAddress::from_v6(b));
        }
    }
    ::freeifaddrs(list);
    return out;
}

SyncClient::SyncClient(asio::io_context& io, const config::Config& cfg, PublishFn publish,
                       int8_t precision_log2)
    : io_(io),
      cfg_(cfg),
      publish_(std::move(publish)),
      clock_setup_(std::make_unique<ClockSetup>(cfg.clock)),
      clock_(&clock_setup_->clock()),
      rng_(std::make_unique<KernelRandom>()),
      republish_timer_(io) {
    auto local = local_interface_addresses();
    auto own = own_refids_of(local);
    spdlog::debug("time-loop detection: {} own address(es) of {} (loopback left out)", own.size(),
                  local.size());
    engine_ = std::make_unique<clock::SyncEngine>(
        engine_config_from(cfg.clock, precision_log2, std::move(own)), *clock_, *rng_,
        clock_setup_->initial_frequency_ppm());
    for (const auto& s : cfg.sources) groups_.push_back(std::make_unique<Group>(io, s));
}

SyncClient::~SyncClient() {
    stop();
}

void SyncClient::start() {
    for (std::size_t g = 0; g < groups_.size(); ++g) {
        spdlog::info("sync: {} (minpoll {}, maxpoll {}{}{}{})", groups_[g]->label,
                     groups_[g]->cfg.minpoll_log2, groups_[g]->cfg.maxpoll_log2,
                     groups_[g]->cfg.iburst ? ", iburst" : "",
                     groups_[g]->cfg.prefer ? ", prefer" : "",
                     groups_[g]->cfg.noselect ? ", noselect" : "");
        resolve(g);
    }
    schedule_republish();
}

void SyncClient::stop() {
    if (stopped_) return;
    stopped_ = true;
    clock_setup_->shutdown(*engine_, monotonic_ns());  // the drift file, at exit
    republish_timer_.cancel();
    for (auto& g : groups_) {
        g->resolver.cancel();
        g->retry_timer.cancel();
    }
    for (auto& [id, m] : members_) {
        m->timer.cancel();
        m->socket.reset();
    }
}

// ---- Name resolution and membership -----------------------------------------------------------

void SyncClient::resolve(std::size_t gi) {
    Group& g = *groups_[gi];
    if (g.resolving || stopped_) return;
    g.resolving = true;
    g.resolver.resolve(g.cfg.address.host, g.cfg.address.port,
                       [this, gi](std::vector<SourceAddress> addrs, std::string err) {
                           on_resolved(gi, std::move(addrs), err);
                       });
}

void SyncClient::schedule_resolve(std::size_t gi, int64_t delay_ns) {
    Group& g = *groups_[gi];
    if (stopped_) return;
    g.retry_timer.expires_after(std::chrono::nanoseconds(delay_ns));
    g.retry_timer.async_wait([this, gi](const boost::system::error_code& ec) {
        if (!ec) resolve(gi);
    });
}

void SyncClient::on_resolved(std::size_t gi, std::vector<SourceAddress> addrs,
                             const std::string& err) {
    Group& g = *groups_[gi];
    g.resolving = false;
    if (stopped_) return;
    if (!err.empty()) {
        ++g.failures;
        int64_t delay = resolve_retry_delay_ns(g.failures);
        if (!g.failure_logged) {
            // Once per outage: a dead DNS must not flood the log, and never stops the daemon.
            spdlog::warn("sync: {}: cannot resolve \"{}\" ({}); retrying with backoff", g.label,
                         g.cfg.address.host, err);
            g.failure_logged = true;
        } else {
            spdlog::debug("sync: {}: resolution failed again ({}); next try in {:.0f} s", g.label,
                          err, ns_to_s(delay));
        }
        schedule_resolve(gi, delay);
        return;
    }
    if (g.failure_logged) {
        spdlog::info("sync: {}: resolved after {} failed attempt(s)", g.label, g.failures);
        g.failure_logged = false;
    }
    g.failures = 0;
    auto chosen = g.members.choose(addrs, monotonic_ns());
    for (const auto& a : chosen) add_member(gi, a);
    if (g.members.free_slots() > 0) {
        // Fewer usable addresses than wanted (small pool, or all others banned): ask again
        // later, less and less often.
        ++g.refills;
        int64_t delay = resolve_retry_delay_ns(g.refills + 2);
        spdlog::log(g.refills == 1 ? spdlog::level::info : spdlog::level::debug,
                    "sync: {}: {} of {} address(es) in use ({} resolved); resolving again in "
                    "{:.0f} s",
                    g.label, g.members.size(), g.members.wanted(), addrs.size(), ns_to_s(delay));
        schedule_resolve(gi, delay);
    } else {
        g.refills = 0;
    }
    after_change();
}

void SyncClient::add_member(std::size_t gi, const SourceAddress& addr) {
    Group& g = *groups_[gi];
    clock::SourceActions first;
    clock::SourceId id = engine_->add_source(source_config_from(g.cfg, addr), now_ns(), &first);
    auto m = std::make_unique<Member>(io_);
    m->id = id;
    m->group = gi;
    m->address = addr;
    m->endpoint = to_endpoint(addr);
    members_.emplace(id, std::move(m));
    g.members.add(addr);
    spdlog::info("sync: {}: polling {}", g.label, to_string(addr));
    execute(id, first);
}

void SyncClient::drop_member(clock::SourceId id, DropReason why) {
    auto it = members_.find(id);
    if (it == members_.end()) return;
    std::size_t gi = it->second->group;
    Group& g = *groups_[gi];
    SourceAddress addr = it->second->address;
    it->second->timer.cancel();
    it->second->socket.reset();
    if (g.cfg.mode != config::SourceMode::kPool) {
        // A configured server is never replaced: it stays visible (demobilized) but silent.
        spdlog::warn("sync: {}: {} is {}; no longer polled", g.label, to_string(addr),
                     to_string(why));
        return;
    }
    engine_->remove_source(id);
    members_.erase(it);
    g.members.drop(addr, why, monotonic_ns());
    spdlog::warn("sync: {}: dropping {} ({}); resolving again for a replacement", g.label,
                 to_string(addr), to_string(why));
    g.refills = 0;
    resolve(gi);
}

// ---- Carrying out the core's actions ---------------------------------------------------------

void SyncClient::execute(clock::SourceId id, const clock::SourceActions& a) {
    auto it = members_.find(id);
    if (it == members_.end() || stopped_) return;
    Member& m = *it->second;
    if (a.send) send_request(m, a.request);
    if (a.timer_at_ns) arm_timer(m, *a.timer_at_ns);
    if (a.demobilize) {
        drop_member(id, DropReason::kDenied);
    } else if (a.reresolve) {
        drop_member(id, DropReason::kUnreachable);
    }
}

bool SyncClient::send_request(Member& m, std::span<const std::byte> request) {
    // A fresh socket per request: the kernel picks a new random ephemeral port on connect(), so
    // an off-path attacker cannot aim forged replies at a long-lived port, and the connected
    // socket drops anything not from the server's address and port.
    m.socket.reset();  // a late reply to the previous request is no longer wanted
    auto sock = std::make_unique<asio::ip::udp::socket>(io_);
    boost::system::error_code ec;
    sock->open(m.endpoint.protocol(), ec);
    if (!ec) {
        int one = 1;
        // Kernel receive timestamps; without them T4 is read right after recvmsg.
        ::setsockopt(sock->native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        sock->non_blocking(true, ec);
    }
    if (!ec) sock->connect(m.endpoint, ec);
    if (ec) {
        ++tx_errors_;
        spdlog::debug("sync: {}: cannot open a socket: {}", to_string(m.address), ec.message());
        return false;
    }
    ssize_t n = ::send(sock->native_handle(), request.data(), request.size(), 0);
    if (n != static_cast<ssize_t>(request.size())) {
        ++tx_errors_;
        spdlog::debug("sync: {}: send failed: {}", to_string(m.address),
                      n < 0 ? std::strerror(errno) : "short write");
        return false;
    }
    m.socket = std::move(sock);
    ++m.socket_generation;
    wait_readable(m);
    return true;
}

void SyncClient::arm_timer(Member& m, int64_t at_ns) {
    int64_t delay_ns = std::max<int64_t>(0, at_ns - now_ns());
    m.timer.expires_after(std::chrono::nanoseconds(delay_ns));
    clock::SourceId id = m.id;
    m.timer.async_wait([this, id](const boost::system::error_code& ec) {
        if (ec || stopped_) return;
        clock::SourceActions a = engine_->on_timer(id, now_ns());
        execute(id, a);
        after_change(std::nullopt);
    });
}

void SyncClient::wait_readable(Member& m) {
    clock::SourceId id = m.id;
    uint64_t gen = m.socket_generation;
    m.socket->async_wait(asio::ip::udp::socket::wait_read,
                         [this, id, gen](const boost::system::error_code& ec) {
                             if (ec || stopped_) return;
                             receive(id, gen);
                         });
}

void SyncClient::receive(clock::SourceId id, uint64_t generation) {
    // Replies may carry extension fields; anything longer than this is not for us.
    std::array<std::byte, 1024> buf;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(timespec)) + 64> ctrl;
    std::optional<clock::SourceId> sampled;
    for (;;) {
        auto it = members_.find(id);
        if (it == members_.end()) break;
        Member& m = *it->second;
        if (m.socket_generation != generation || !m.socket) break;
        iovec iov{buf.data(), buf.size()};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctrl.data();
        msg.msg_controllen = ctrl.size();
        ssize_t n = ::recvmsg(m.socket->native_handle(), &msg, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                // ECONNREFUSED: an ICMP port unreachable for our request; the core counts the
                // missing reply at the next poll.
                ++rx_errors_;
                spdlog::debug("sync: {}: receive error: {}", to_string(m.address),
                              std::strerror(errno));
            }
            wait_readable(m);
            break;
        }
        int64_t now = now_ns();
        int64_t t4 = now;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                timespec ts{};
                std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                t4 = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
            }
        }
        if (t4 > now) t4 = now;
        if (msg.msg_flags & MSG_TRUNC) {
            ++rx_errors_;
            continue;
        }
        ++rx_datagrams_;
        clock::ResponseResult r = engine_->on_response(
            id, std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)), t4, now);
        if (r.outcome == clock::ResponseOutcome::kAccepted) {
            sampled = id;
        } else {
            spdlog::debug("sync: {}: reply not used: {}{}{}", to_string(m.address),
                          clock::to_string(r.outcome),
                          r.check != proto::CheckFailure::kNone ? ", " : "",
                          r.check != proto::CheckFailure::kNone ? proto::to_string(r.check) : "");
        }
        execute(id, r.actions);
    }
    after_change(sampled);
}

// ---- After every event: log, replace, publish --------------------------------------------------

void SyncClient::after_change(std::optional<clock::SourceId> sampled) {
    for (const auto& e : engine_->take_events())
        spdlog::log(level_of(e.kind), "sync: {}", e.message);
    review_states(sampled);
    int updates = engine_->updates();
    if (updates != logged_updates_) {
        logged_updates_ = updates;
        // First updates in full, then a line per 64 (the state dump has everything).
        if ((updates & (updates - 1)) == 0 || updates % 64 == 0) {
            if (const auto& u = engine_->last_update()) {
                const clock::Source* peer =
                    u->system_peer ? engine_->source(*u->system_peer) : nullptr;
                spdlog::info("sync: update {}: offset {:+.9f} s via {}{}", updates,
                             ns_to_s(u->offset_ns), peer ? peer->config().name : "?",
                             clock_->adjusts() ? "" : " (observe mode: clock not adjusted)");
            }
        }
    }
    publish();
}

void SyncClient::review_states(std::optional<clock::SourceId> sampled) {
    std::vector<clock::SourceId> falsetickers;
    for (const auto& s : engine_->snapshot(now_ns())) {
        auto it = members_.find(s.id);
        if (it == members_.end()) continue;
        Member& m = *it->second;
        if (s.state != m.last_state) {
            spdlog::info("sync: source {}: {} -> {}", s.name, clock::to_string(m.last_state),
                         clock::to_string(s.state));
            m.last_state = s.state;
        }
        Group& g = *groups_[m.group];
        if (sampled == s.id && g.cfg.mode == config::SourceMode::kPool &&
            g.members.note_verdict(m.address, s.state == clock::SourceState::kFalseticker))
            falsetickers.push_back(s.id);
    }
    for (auto id : falsetickers) drop_member(id, DropReason::kFalseticker);
}

void SyncClient::publish() {
    // Kernel-facing duties (leap, sync status on loss, drift file), after every event and every
    // kRepublishInterval_ms.
    if (!stopped_) clock_setup_->update(*engine_, now_ns(), monotonic_ns());
    if (!publish_ || !engine_->synchronized()) return;  // never synchronized: the engine's fallback
    int64_t now = now_ns();
    bool synced = engine_->synchronized_at(now);
    bool holdover = synced && engine_->in_holdover(now);
    // Issue 6: holdover after the last usable source is lost, then the [local] fallback (or
    // unsynchronized) until a source returns. One log line per transition.
    if (holdover != in_holdover_logged_ || synced != synced_logged_) {
        if (holdover)
            spdlog::warn("sync: no usable source: holdover, still serving stratum {}",
                         engine_->system_state(now).stratum);
        else if (!synced)
            spdlog::warn("sync: no usable source and holdover over: serving {}",
                         cfg_.local.stratum ? "the [local] fallback" : "as unsynchronized");
        else
            spdlog::info("sync: synchronized again");
        in_holdover_logged_ = holdover;
        synced_logged_ = synced;
    }
    std::optional<proto::SystemState> state;
    if (synced) {
        state = engine_->system_state(now);
        // While disciplining, the leap we announce is the tracked majority (June/December only),
        // not whatever the system peer's last header said.
        if (clock_setup_->disciplining() && state->leap != proto::LeapIndicator::kUnsynchronized)
            state->leap = clock_setup_->announce();
    }
    publish_(state);
}

void SyncClient::schedule_republish() {
    republish_timer_.expires_after(std::chrono::milliseconds(kRepublishInterval_ms));
    republish_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) return;
        publish();
        schedule_republish();
    });
}

// ---- Monitoring ---------------------------------------------------------------------------------

std::size_t SyncClient::resync() {
    if (stopped_) return 0;
    std::size_t n = 0;
    for (const auto& [id, actions] : engine_->burst_all(now_ns())) {
        execute(id, actions);
        ++n;
    }
    // A coalesced request (n == 0: bursts already running or too recent) is not worth a log line
    // each: a resync flood must not become a log flood (issue 14).
    if (n > 0)
        spdlog::info("resync requested: {} source(s) polled now", n);
    else
        spdlog::debug("resync requested: coalesced with a recent burst");
    return n;
}

SyncSnapshot SyncClient::snapshot() const {
    SyncSnapshot s;
    s.time_ns = now_ns();
    s.synchronized = engine_->synchronized();
    s.clock_adjusts = clock_->adjusts();
    s.updates = engine_->updates();
    s.system = engine_->system_state(s.time_ns);
    s.last_update = engine_->last_update();
    s.sources = engine_->snapshot(s.time_ns);
    return s;
}

void SyncClient::log_state() const {
    SyncSnapshot s = snapshot();
    spdlog::info(
        "sync state: {} stratum {} refid {} root_delay {:.6f} s root_dispersion {:.6f} s "
        "updates {} offset {:+.9f} s{} (rx {} datagrams, {} rx errors, {} tx errors)",
        s.synchronized ? "synchronized" : "unsynchronized", s.system.stratum,
        proto::format_refid(s.system.refid, s.system.stratum), ns_to_s(s.system.root_delay.to_ns()),
        ns_to_s(s.system.root_dispersion.to_ns()), s.updates,
        s.last_update ? ns_to_s(s.last_update->offset_ns) : 0.0, s.clock_adjusts ? "" : " observe",
        rx_datagrams_, rx_errors_, tx_errors_);
    for (const auto& src : s.sources) {
        spdlog::info(
            "sync source {} state={} stratum={} refid={} reach={:03o} poll=2^{} offset={:+.9f} s "
            "delay={:.6f} s jitter={:.6f} s root_distance={:.6f} s{}",
            src.name, clock::to_string(src.state), src.stratum,
            proto::format_refid(src.refid, src.stratum), src.reach, src.poll_log2,
            ns_to_s(src.offset_ns), ns_to_s(src.delay_ns), ns_to_s(src.jitter_ns),
            ns_to_s(src.root_distance_ns), src.prefer ? " prefer" : "");
    }
}

}  // namespace ntplite::daemon
