#include "daemon/sync/sync_client.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "clock/os/linux_clock.hpp"
#include "daemon/server/server_worker.hpp"
#include "proto/nts/crypto/client_auth.hpp"
#include "proto/refid.hpp"
#include "sysutil/random.hpp"
#include "sysutil/rx_meta.hpp"

namespace ntplite::daemon {

namespace {

double ns_to_s(int64_t ns) {
    return static_cast<double>(ns) * 1e-9;
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
    bool retired = false;    // removed by a reload: its slot stays (indices are captured), idle
    std::string last_error;  // empty while the name resolves
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
      clock_setup_(std::make_unique<ClockSetup>(cfg.clock, clock::AdjtimeFn{}, clock::RealtimeFn{},
                                                !cfg.sources.empty())),
      clock_(&clock_setup_->clock()),
      rng_(std::make_unique<sysutil::KernelRandom>()),
      republish_timer_(io),
      slew_timer_(io) {
    auto local = local_interface_addresses();
    auto own = own_refids_of(local);
    spdlog::debug("time-loop detection: {} own address(es) of {} (loopback left out)", own.size(),
                  local.size());
    engine_ = std::make_unique<clock::SyncEngine>(
        engine_config_from(cfg.clock, precision_log2, std::move(own), cfg.local), *clock_, *rng_,
        clock_setup_->initial_frequency_ppm());
    for (const auto& s : cfg.sources) groups_.push_back(std::make_unique<Group>(io, s));
}

SyncClient::~SyncClient() noexcept {
    try {
        stop();
    } catch (...) {
        // stop() logs its own failures; a throwing logger must not terminate the process.
    }
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
    // Without any [[source]] the core's first word (the [local] fallback or unsynchronized)
    // comes now; otherwise with the first source added (names resolve asynchronously).
    if (groups_.empty()) carry_out(engine_->tick(clock::LocalTime{now_ns()}));
    schedule_republish();
}

void SyncClient::stop() {
    if (stopped_) return;
    stopped_ = true;
    clock_setup_->shutdown(*engine_, clock::MonoTime{monotonic_ns()});  // the drift file, at exit
    republish_timer_.cancel();
    slew_timer_.cancel();
    for (auto& g : groups_) {
        g->resolver.cancel();
        g->retry_timer.cancel();
    }
    for (auto& [id, m] : members_) {
        m->timer.cancel();
        m->socket.reset();
    }
}

// ---- Reload ------------------------------------------------------------------------------------

namespace {

bool same_source(const config::SourceConfig& a, const config::SourceConfig& b) {
    return a.mode == b.mode && a.address.host == b.address.host &&
           a.address.port == b.address.port && a.iburst == b.iburst &&
           a.minpoll_log2 == b.minpoll_log2 && a.maxpoll_log2 == b.maxpoll_log2 &&
           a.prefer == b.prefer && a.noselect == b.noselect && a.max_sources == b.max_sources &&
           a.key == b.key && a.nts == b.nts && a.trusted_ca == b.trusted_ca &&
           a.ke_port == b.ke_port;
}

}  // namespace

void SyncClient::apply_sources(const std::vector<config::SourceConfig>& sources) {
    if (stopped_) return;
    std::vector<bool> matched(sources.size(), false);
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
        Group& g = *groups_[gi];
        if (g.retired) continue;
        bool keep = false;
        for (std::size_t j = 0; j < sources.size() && !keep; ++j) {
            if (!matched[j] && same_source(g.cfg, sources[j])) matched[j] = keep = true;
        }
        if (keep) continue;
        g.retired = true;
        g.last_error.clear();
        g.resolver.cancel();
        g.retry_timer.cancel();
        std::vector<clock::SourceId> ids;
        for (const auto& [id, m] : members_)
            if (m->group == gi) ids.push_back(id);
        for (clock::SourceId id : ids) {
            auto it = members_.find(id);
            it->second->timer.cancel();
            it->second->socket.reset();
            members_.erase(it);
            carry_out(engine_->remove_source(id, clock::LocalTime{now_ns()}));
        }
        spdlog::info("sync: {}: removed by the reload", g.label);
    }
    for (std::size_t j = 0; j < sources.size(); ++j) {
        if (matched[j]) continue;
        groups_.push_back(std::make_unique<Group>(io_, sources[j]));
        const Group& g = *groups_.back();
        spdlog::info("sync: {}: added by the reload (minpoll {}, maxpoll {}{})", g.label,
                     g.cfg.minpoll_log2, g.cfg.maxpoll_log2, g.cfg.iburst ? ", iburst" : "");
        resolve(groups_.size() - 1);
    }
    publish();
}

// ---- Name resolution and membership -----------------------------------------------------------

void SyncClient::resolve(std::size_t gi) {
    Group& g = *groups_[gi];
    if (g.resolving || stopped_ || g.retired) return;
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
    if (stopped_ || g.retired) return;
    g.last_error = err;
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
    publish();
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
}

void SyncClient::set_auth_context(auth::ClientAuthContext ctx) {
    ctx.make_nts =
        [](const auth::SourceAuthConfig& c) -> std::unique_ptr<auth::ClientAuthenticator> {
        if (!c.nts_state) return nullptr;
        return std::make_unique<proto::nts::NtsClientAuthenticator>(
            std::static_pointer_cast<proto::nts::NtsClientShared>(c.nts_state));
    };
    engine_->set_auth_context(std::move(ctx));
}

void SyncClient::replace_keys(std::shared_ptr<const auth::KeySet> keys) {
    engine_->replace_keys(std::move(keys));
}

void SyncClient::add_member(std::size_t gi, const SourceAddress& addr) {
    Group& g = *groups_[gi];
    clock::SourceId id = 0;
    clock::SourceConfig sc = source_config_from(g.cfg, addr);
    std::unique_ptr<nts::ClientSource> nts_source;
    if (g.cfg.nts) {
        // The key exchange goes to the resolved address; the certificate must name the
        // configured host. Until it succeeds the authenticator sends nothing.
        if (auto tls = nts::client_context_for(g.cfg.trusted_ca)) {
            nts_source = std::make_unique<nts::ClientSource>(io_, *tls, to_endpoint(addr).address(),
                                                             g.cfg.ke_port, addr.port,
                                                             g.cfg.address.host, nullptr);
            sc.auth.nts_state = nts_source->shared();
        } else {
            spdlog::error("sync: {}: NTS: {}; the source stays unusable", g.label, tls.error());
        }
    }
    clock::EngineUpdate up = engine_->add_source(sc, clock::LocalTime{now_ns()}, &id);
    auto m = std::make_unique<Member>(io_);
    m->id = id;
    m->group = gi;
    m->address = addr;
    m->endpoint = nts_source ? nts_source->ntp_endpoint() : to_endpoint(addr);
    if (nts_source) nts_source->set_on_keyed([this, id] { on_nts_keyed(id); });
    m->nts = std::move(nts_source);
    members_.emplace(id, std::move(m));
    g.members.add(addr);
    spdlog::info("sync: {}: polling {}", g.label, to_string(addr));
    carry_out(up);
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
    members_.erase(it);
    g.members.drop(addr, why, monotonic_ns());
    spdlog::warn("sync: {}: dropping {} ({}); resolving again for a replacement", g.label,
                 to_string(addr), to_string(why));
    g.refills = 0;
    carry_out(engine_->remove_source(id, clock::LocalTime{now_ns()}));
    resolve(gi);
}

// ---- Carrying out the core's actions ---------------------------------------------------------

void SyncClient::execute(clock::SourceId id, const clock::SourceActions& a) {
    auto it = members_.find(id);
    if (it == members_.end() || stopped_) return;
    Member& m = *it->second;
    if (a.send) send_request(m, a.request.view());
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
        carry_out(engine_->on_timer(id, clock::LocalTime{now_ns()}));
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
    std::array<std::byte, proto::kMaxPacketSize> buf;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(timespec)) + 64> ctrl;
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
        if (auto t = sysutil::read_rx_timestamp(msg)) t4 = *t;
        if (t4 > now) t4 = now;
        if (msg.msg_flags & MSG_TRUNC) {
            ++rx_errors_;
            continue;
        }
        ++rx_datagrams_;
        const SourceAddress address = m.address;
        clock::EngineUpdate up = engine_->on_response(
            id, std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)),
            clock::LocalTime{t4}, clock::LocalTime{now});
        if (up.response && up.response->outcome != clock::ResponseOutcome::kAccepted) {
            const clock::ResponseResult& r = *up.response;
            // Debug only: forged replies must not flood the log (monitoring counts them).
            spdlog::debug(
                "sync: {}: reply not used: {}{}{}{}{}", to_string(address),
                clock::to_string(r.outcome), r.check != proto::CheckFailure::kNone ? ", " : "",
                r.check != proto::CheckFailure::kNone ? proto::to_string(r.check) : "",
                r.auth_failure != auth::AuthFailure::kNone ? ", auth " : "",
                r.auth_failure != auth::AuthFailure::kNone ? auth::to_string(r.auth_failure) : "");
        }
        const bool accepted =
            up.response && up.response->outcome == clock::ResponseOutcome::kAccepted;
        carry_out(up);
        // Pool members that keep being falsetickers are replaced (after carry_out: the member
        // may be gone already).
        if (accepted && members_.count(id) != 0) {
            Member& mm = *members_.at(id);
            Group& g = *groups_[mm.group];
            const auto snap_state = engine_->source_state(id);
            if (g.cfg.mode == config::SourceMode::kPool &&
                g.members.note_verdict(mm.address,
                                       snap_state == clock::SourceState::kFalseticker)) {
                drop_member(id, DropReason::kFalseticker);
                break;
            }
        }
    }
}

// ---- Carrying out the core's updates -------------------------------------------------------

std::string SyncClient::source_name(clock::SourceId id) const {
    if (const clock::Source* src = engine_->source(id)) return src->config().name;
    return "#" + std::to_string(id);
}

void SyncClient::carry_out(const clock::EngineUpdate& up) {
    log_update(up);
    for (const auto& [id, actions] : up.actions) execute(id, actions);
    // NTS sources whose authenticator ran out of cookies or got a NAK: key again (at most one
    // exchange at a time per source, with backoff after failures).
    for (auto& [id, m] : members_)
        if (m->nts) m->nts->poll();
    publish();
}

void SyncClient::on_nts_keyed(clock::SourceId id) {
    auto it = members_.find(id);
    if (it == members_.end() || stopped_ || !it->second->nts) return;
    it->second->endpoint = it->second->nts->ntp_endpoint();
    carry_out(engine_->on_timer(id, clock::LocalTime{now_ns()}));
}

void SyncClient::log_update(const clock::EngineUpdate& up) const {
    using K = clock::EngineEvent::Kind;
    for (const clock::EngineEvent& e : up.events) {
        const std::string name = source_name(e.source);
        switch (e.kind) {
            case K::kStep:
                spdlog::warn("sync: clock {} by {:+.6f} s (source {})",
                             e.clock_adjusted ? "stepped" : "would be stepped (observe mode)",
                             ns_to_s(e.value_ns), name);
                break;
            case K::kStepCapped:
                spdlog::warn(
                    "sync: clock {} back by only {:.6f} s of the {:.6f} s wanted "
                    "(max_backward_step)",
                    e.clock_adjusted ? "stepped" : "would be stepped", ns_to_s(-e.value_ns),
                    ns_to_s(-e.wanted_ns));
                break;
            case K::kPanic:
                spdlog::error(
                    "sync: offset {:+.6f} s (source {}) exceeds the panic threshold: clock NOT "
                    "adjusted and not serving it as synchronized; set the clock by hand or raise "
                    "[clock] panic_threshold",
                    ns_to_s(e.wanted_ns), name);
                break;
            case K::kKissRate:
                spdlog::warn("sync: source {}: KoD RATE, poll interval raised to 2^{} s", name,
                             e.poll_log2);
                break;
            case K::kKissDeny:
                spdlog::warn("sync: source {}: KoD {}, no longer used", name,
                             proto::kiss_name(e.kiss));
                break;
            case K::kTimeLoop:
                spdlog::warn(
                    "sync: time loop: source {} (stratum {}) takes its time from us (its refid {} "
                    "is one of our addresses); not used",
                    name, e.stratum, proto::format_refid(e.refid, e.stratum));
                break;
            case K::kLeap:
                spdlog::info("sync: leap second: announcing {}, kernel {}",
                             proto::to_string(e.leap), proto::to_string(e.kernel_leap));
                break;
        }
    }
    for (const clock::SourceTransition& t : up.transitions)
        spdlog::info("sync: source {}: {} -> {}", source_name(t.id), clock::to_string(t.from),
                     clock::to_string(t.to));
    if (up.status) {
        const clock::SystemStatus& st = *up.status;
        switch (st.state) {
            case clock::SyncState::kSynchronized:
                spdlog::info("sync: synchronized to {}",
                             st.system_peer ? source_name(*st.system_peer) : "?");
                break;
            case clock::SyncState::kHoldover:
                if (st.holdover_left_ns < 0)
                    spdlog::warn(
                        "sync: holdover ({}): serving the disciplined clock until its "
                        "error bound passes 1.5 s",
                        clock::to_string(st.reason));
                else
                    spdlog::warn("sync: holdover ({}): serving the disciplined clock for {:.0f} s",
                                 clock::to_string(st.reason), ns_to_s(st.holdover_left_ns));
                break;
            case clock::SyncState::kLocal:
                spdlog::warn(
                    "sync: not synchronized ({}): serving the [local] fallback at "
                    "stratum {}",
                    clock::to_string(st.reason), engine_->config().local_stratum);
                break;
            case clock::SyncState::kUnsynchronized:
                spdlog::warn("sync: unsynchronized ({}): answering clients as unsynchronized",
                             clock::to_string(st.reason));
                break;
        }
    }
    if (up.kernel)
        spdlog::info("sync: kernel clock status: {}",
                     up.kernel->synced ? "synchronized" : "unsynchronized");
    if (up.clock_update) {
        const int n = up.clock_update->count;
        // First updates in full, then a line per 64 (the state dump has everything).
        if ((n & (n - 1)) == 0 || n % 64 == 0)
            spdlog::info("sync: update {}: offset {:+.9f} s via {}{}", n,
                         ns_to_s(up.clock_update->offset_ns),
                         source_name(up.clock_update->system_peer),
                         clock_->adjusts() ? "" : " (observe mode: clock not adjusted)");
    }
}

void SyncClient::arm_slew_timer() {
    std::optional<int64_t> at = clock_->slew_deadline_ns();
    if (at == slew_timer_at_ns_) return;
    slew_timer_at_ns_ = at;
    if (!at) {
        slew_timer_.cancel();
        return;
    }
    slew_timer_.expires_after(std::chrono::nanoseconds(std::max<int64_t>(0, *at - now_ns())));
    slew_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) return;
        slew_timer_at_ns_.reset();
        clock_->on_slew_deadline();
        arm_slew_timer();
    });
}

void SyncClient::publish() {
    if (stopped_) return;
    arm_slew_timer();  // after every event: a clock update may have started a rate slew
    // Drift-file duties (the only kernel-facing ones left outside the core).
    clock_setup_->update(*engine_, clock::MonoTime{monotonic_ns()});
    if (publish_) publish_(engine_->system_state(clock::LocalTime{now_ns()}));
}

void SyncClient::schedule_republish() {
    republish_timer_.expires_after(std::chrono::milliseconds(kRepublishInterval_ms));
    republish_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) return;
        carry_out(engine_->tick(clock::LocalTime{now_ns()}));
        schedule_republish();
    });
}

// ---- Monitoring ---------------------------------------------------------------------------------

bool SyncClient::has_sources() const {
    for (const auto& g : groups_)
        if (!g->retired) return true;
    return false;
}

std::vector<UnresolvedSource> SyncClient::unresolved() const {
    std::vector<UnresolvedSource> out;
    for (const auto& g : groups_) {
        if (g->retired || g->last_error.empty() || g->members.size() > 0) continue;
        out.push_back(UnresolvedSource{g->cfg.address.host, g->cfg.address.port, g->last_error});
    }
    return out;
}

std::size_t SyncClient::resync() {
    if (stopped_) return 0;
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
        if (groups_[gi]->retired || groups_[gi]->last_error.empty()) continue;
        groups_[gi]->retry_timer.cancel();
        resolve(gi);
    }
    clock::EngineUpdate up = engine_->burst_all(clock::LocalTime{now_ns()});
    const std::size_t started = up.actions.size();
    carry_out(up);
    // A burst already under way absorbs the request (coalesced, not an error).
    const std::size_t n = engine_->sources_bursting();
    spdlog::log(started > 0 ? spdlog::level::info : spdlog::level::debug,
                "resync requested: {} source(s) polled now ({} new burst(s))", n, started);
    return n;
}

SyncSnapshot SyncClient::snapshot() const {
    SyncSnapshot s;
    s.time_ns = now_ns();
    const clock::LocalTime now{s.time_ns};
    s.status = engine_->status(now);
    s.clock_adjusts = clock_->adjusts();
    s.updates = engine_->updates();
    s.system = engine_->system_state(now);
    s.last_update = engine_->last_update();
    s.sources = engine_->snapshot(now);
    return s;
}

void SyncClient::log_state() const {
    SyncSnapshot s = snapshot();
    spdlog::info(
        "sync state: {} ({}) stratum {} refid {} root_delay {:.6f} s root_dispersion {:.6f} s "
        "updates {} offset {:+.9f} s{} (rx {} datagrams, {} rx errors, {} tx errors)",
        clock::to_string(s.status.state), clock::to_string(s.status.reason), s.system.stratum,
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
