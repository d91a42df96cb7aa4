#include "daemon/policy/server/state_publisher.hpp"

#include <cstring>
#include <type_traits>

namespace ntplite::daemon {

static_assert(std::is_trivially_copyable_v<proto::SystemState>);

void StatePublisher::publish(const proto::SystemState& state) {
    std::array<uint64_t, kWords> raw{};
    std::memcpy(raw.data(), &state, sizeof state);
    uint64_t s = seq_.load(std::memory_order_relaxed);
    seq_.store(s + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    for (std::size_t i = 0; i < kWords; ++i) words_[i].store(raw[i], std::memory_order_relaxed);
    seq_.store(s + 2, std::memory_order_release);
}

proto::SystemState StatePublisher::read() const {
    std::array<uint64_t, kWords> raw{};
    for (;;) {
        uint64_t before = seq_.load(std::memory_order_acquire);
        if (before & 1) continue;  // a write is in progress
        for (std::size_t i = 0; i < kWords; ++i) raw[i] = words_[i].load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (seq_.load(std::memory_order_relaxed) == before) break;
    }
    // SystemState is trivially copyable; its default member initialisers are what makes g++
    // call it "non-trivial", so copy through void* to say we mean it.
    proto::SystemState state;
    std::memcpy(static_cast<void*>(&state), raw.data(), sizeof state);
    return state;
}

}  // namespace ntplite::daemon
