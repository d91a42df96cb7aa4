// Bounds for a stream listener on the engine thread (issue 14): a cap on open connections and a
// back-off when accept() fails for lack of resources. Without them, 1,100 idle control
// connections (fd limit 1,024) put the acceptor in a busy loop of failing accept() calls.
//   - at most `max_connections` sessions at once: at the cap, a new connection evicts the oldest
//     session still waiting for its request; if none waits, the acceptor stops (the kernel's
//     backlog holds the rest) and resumes when a session ends;
//   - EMFILE, ENFILE, ENOBUFS, ENOMEM: the acceptor pauses for `kPause` and retries, logged once
//     per episode (and once when it recovers), never spinning.
// Sessions hold a Ticket; its destructor gives the slot back, also after the listener is gone.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include "daemon/common/asio.hpp"

namespace ntplite::daemon {

class AcceptGuard {
  public:
    /// How long the acceptor rests after a resource error.
    static constexpr std::chrono::milliseconds kPause{500};

    AcceptGuard(asio::io_context& io, std::string what, std::size_t max_connections)
        : timer_(io), state_(std::make_shared<State>()) {
        state_->what = std::move(what);
        state_->max = max_connections;
    }
    ~AcceptGuard() { stop(); }

    /// `rearm` starts one async_accept; the guard calls it when accepting may go on.
    void start(std::function<void()> rearm) {
        state_->rearm = std::move(rearm);
        state_->rearm();
    }
    void stop() {
        state_->rearm = nullptr;
        timer_.cancel();
    }

    class Ticket;

  private:
    struct Idle {
        Ticket* owner;
        std::function<void()> evict;
    };
    struct State {
        std::string what;
        std::size_t max = 0;
        std::size_t active = 0;
        bool starved = false;           // in a resource-error episode
        bool waiting_for_room = false;  // stopped at the connection cap
        uint64_t resource_errors = 0;
        uint64_t other_errors = 0;
        uint64_t evicted = 0;
        std::list<Idle> idle;         // sessions still waiting for their request, oldest first
        std::function<void()> rearm;  // empty once the listener stopped
    };

  public:
    /// A slot held by one session; returns it (and resumes a capped acceptor) when destroyed.
    class Ticket {
      public:
        explicit Ticket(std::shared_ptr<State> s) : s_(std::move(s)) { ++s_->active; }
        Ticket(const Ticket&) = delete;
        Ticket& operator=(const Ticket&) = delete;
        ~Ticket() {
            busy();
            --s_->active;
            if (s_->waiting_for_room && s_->rearm) {
                s_->waiting_for_room = false;
                s_->rearm();
            }
        }
        /// The session waits for its request: at the cap, a new connection evicts the oldest
        /// waiting session by calling its `evict` (which must close the socket at once), so
        /// idle connections cannot keep a real client out (issue 14 soak: 1,000 held HTTP
        /// connections starved every scrape behind the 5 s deadlines).
        void idle(std::function<void()> evict) {
            busy();
            s_->idle.push_back(Idle{this, std::move(evict)});
            idle_it_ = std::prev(s_->idle.end());
            is_idle_ = true;
        }
        /// The request is in: no longer evictable.
        void busy() {
            if (!is_idle_) return;
            s_->idle.erase(idle_it_);
            is_idle_ = false;
        }

      private:
        friend class AcceptGuard;
        std::shared_ptr<State> s_;
        std::list<Idle>::iterator idle_it_;
        bool is_idle_ = false;
    };

    /// Call from the accept handler. Returns a ticket for a new session (or nullptr if `ec` is
    /// an error), and re-arms, pauses or caps the acceptor as needed. At the cap, the oldest
    /// idle session (see Ticket::idle) is closed to make room.
    std::unique_ptr<Ticket> on_accept(const boost::system::error_code& ec) {
        if (ec) {
            if (is_resource_error(ec)) {
                if (!state_->starved) {
                    spdlog::warn("{}: accept failed ({}); pausing new connections", state_->what,
                                 ec.message());
                }
                state_->starved = true;
                ++state_->resource_errors;
                timer_.expires_after(kPause);
                timer_.async_wait([s = state_](const boost::system::error_code& tec) {
                    if (!tec && s->rearm) s->rearm();
                });
                return nullptr;
            }
            ++state_->other_errors;
            rearm_if_room();
            return nullptr;
        }
        if (state_->starved) {
            spdlog::info("{}: accepting again after {} failed accept(s)", state_->what,
                         state_->resource_errors);
            state_->starved = false;
        }
        if (state_->active >= state_->max && !state_->idle.empty()) {
            // Its socket closes now (the fd is free at once); its ticket goes with its handler.
            Idle oldest = std::move(state_->idle.front());
            state_->idle.pop_front();
            oldest.owner->is_idle_ = false;
            ++state_->evicted;
            oldest.evict();
        }
        auto ticket = std::make_unique<Ticket>(state_);
        rearm_if_room();
        return ticket;
    }

    std::size_t active() const { return state_->active; }
    uint64_t resource_errors() const { return state_->resource_errors; }
    /// Idle sessions closed to make room for a new connection.
    uint64_t evicted() const { return state_->evicted; }

    static bool is_resource_error(const boost::system::error_code& ec) {
        const int v = ec.value();
        return ec.category() == boost::system::system_category() &&
               (v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM);
    }

  private:
    void rearm_if_room() {
        if (!state_->rearm) return;
        // At the cap, accept on only while an idle session can be evicted for the newcomer.
        if (state_->active >= state_->max && state_->idle.empty()) {
            state_->waiting_for_room = true;  // resumed by the next Ticket released
            return;
        }
        state_->rearm();
    }

    asio::steady_timer timer_;
    std::shared_ptr<State> state_;
};

}  // namespace ntplite::daemon
