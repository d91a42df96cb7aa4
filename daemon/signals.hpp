// Every signal the daemon reacts to, in one place (a simulator build can swap this file's
// behaviour without touching the engine): SIGTERM/SIGINT stop, SIGUSR1 dumps the counters.
#pragma once

#include <functional>

#include "daemon/asio.hpp"

namespace ntplite::daemon {

class SignalHandler {
  public:
    /// Handlers run on `io`'s thread.
    SignalHandler(asio::io_context& io, std::function<void(int signal)> on_stop,
                  std::function<void()> on_dump);
    /// Stops listening (so the io_context can run out of work).
    void cancel();

  private:
    void arm();
    asio::signal_set signals_;
    std::function<void(int)> on_stop_;
    std::function<void()> on_dump_;
};

}  // namespace ntplite::daemon
