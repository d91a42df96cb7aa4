// The seam between the sync engine (one writer) and the server threads (many readers): the
// SystemState the server advertises, published as a seqlock over atomic words, so readers never
// lock, never allocate and never block the writer; a reader that races a write simply retries.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "proto/respond.hpp"

namespace ntplite::daemon {

class StatePublisher {
  public:
    /// Starts unsynchronized (the SystemState defaults).
    StatePublisher() { publish(proto::SystemState{}); }

    /// Single writer only (the engine thread).
    void publish(const proto::SystemState& state);
    /// Any thread; a consistent snapshot of the last publish().
    proto::SystemState read() const;
    /// How many times publish() was called (for tests and logs).
    uint64_t version() const { return seq_.load(std::memory_order_acquire) / 2; }

  private:
    static constexpr std::size_t kWords = (sizeof(proto::SystemState) + 7) / 8;
    std::atomic<uint64_t> seq_{0};  ///< odd while a write is in progress
    std::array<std::atomic<uint64_t>, kWords> words_{};
};

}  // namespace ntplite::daemon
