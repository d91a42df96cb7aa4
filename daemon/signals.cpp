#include "daemon/signals.hpp"

#include <csignal>

namespace ntplite::daemon {

#if defined(NTPLITE_SIMULATOR_COMPAT)

// Default signal actions; no descriptor of ours in the wait set (see signals.hpp).
SignalHandler::SignalHandler(asio::io_context&, std::function<void(int)>, std::function<void()>,
                             std::function<void()>) {}

void SignalHandler::cancel() {}

#else

SignalHandler::SignalHandler(asio::io_context& io, std::function<void(int)> on_stop,
                             std::function<void()> on_dump, std::function<void()> on_reload)
    : signals_(io),
      on_stop_(std::move(on_stop)),
      on_dump_(std::move(on_dump)),
      on_reload_(std::move(on_reload)) {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGUSR1);
    signals_.add(SIGHUP);
    arm();
}

void SignalHandler::cancel() {
    boost::system::error_code ec;
    signals_.cancel(ec);
    signals_.clear(ec);
}

void SignalHandler::arm() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGUSR1) {
            on_dump_();
            arm();
            return;
        }
        if (signal == SIGHUP) {
            on_reload_();
            arm();
            return;
        }
        on_stop_(signal);
    });
}

#endif

}  // namespace ntplite::daemon
