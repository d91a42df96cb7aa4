// Every signal the daemon reacts to, in one place (a simulator build can swap this file's
// behaviour without touching the engine): SIGTERM/SIGINT stop, SIGUSR1 dumps the counters.
// In the simulator-compatible build (NTPLITE_SIMULATOR_COMPAT) there is no asio::signal_set:
// it would add its self-pipe to the reactor's wait set. Signals keep their default action there
// (SIGTERM/SIGINT end the process at once), and this class does nothing.
#pragma once

#include <functional>

#include "daemon/common/asio.hpp"

namespace ntplite::daemon {

class SignalHandler {
  public:
    /// Handlers run on `io`'s thread.
    SignalHandler(asio::io_context& io, std::function<void(int signal)> on_stop,
                  std::function<void()> on_dump);
    /// Stops listening (so the io_context can run out of work).
    void cancel();

  private:
#if !defined(NTPLITE_SIMULATOR_COMPAT)
    void arm();
    asio::signal_set signals_;
    std::function<void(int)> on_stop_;
    std::function<void()> on_dump_;
#endif
};

}  // namespace ntplite::daemon
