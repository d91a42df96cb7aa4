// Bounds for a stream listener on the engine thread (issue 14): a cap on open connections and a
// back-off when accept() fails for lack of resources. Without them, 1,100 idle control
// connections (fd limit 1,024) put the acceptor in a busy loop of failing accept() calls.
//   - at most `max_connections` sessions at once: the acceptor stops accepting at the cap (the
//     kernel's backlog holds the rest) and resumes when a session ends;
//   - EMFILE, ENFILE, ENOBUFS, ENOMEM: the acceptor pauses for `kPause` and retries, logged once
//     per episode (and once when it recovers), never spinning.
// Sessions hold a Ticket; its destructor gives the slot back, also after the listener is gone.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <functional>
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

    /// A slot held by one session; returns it (and resumes a capped acceptor) when destroyed.
    class Ticket {
      public:
        explicit Ticket(std::shared_ptr<void> hold) : hold_(std::move(hold)) {}

      private:
        std::shared_ptr<void> hold_;
    };

    /// Call from the accept handler. Returns a ticket for a new session (or nullptr if `ec` is
    /// an error), and re-arms, pauses or caps the acceptor as needed.
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
        ++state_->active;
        auto ticket = std::make_unique<Ticket>(std::shared_ptr<void>(nullptr, [s = state_](void*) {
            --s->active;
            if (s->waiting_for_room && s->rearm) {
                s->waiting_for_room = false;
                s->rearm();
            }
        }));
        rearm_if_room();
        return ticket;
    }

    std::size_t active() const { return state_->active; }
    uint64_t resource_errors() const { return state_->resource_errors; }

    static bool is_resource_error(const boost::system::error_code& ec) {
        const int v = ec.value();
        return ec.category() == boost::system::system_category() &&
               (v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM);
    }

  private:
    struct State {
        std::string what;
        std::size_t max = 0;
        std::size_t active = 0;
        bool starved = false;           // in a resource-error episode
        bool waiting_for_room = false;  // stopped at the connection cap
        uint64_t resource_errors = 0;
        uint64_t other_errors = 0;
        std::function<void()> rearm;  // empty once the listener stopped
    };

    void rearm_if_room() {
        if (!state_->rearm) return;
        if (state_->active >= state_->max) {
            state_->waiting_for_room = true;  // resumed by the next Ticket released
            return;
        }
        state_->rearm();
    }

    asio::steady_timer timer_;
    std::shared_ptr<State> state_;
};

}  // namespace ntplite::daemon
