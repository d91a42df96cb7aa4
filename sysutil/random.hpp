// Entropy from the kernel's CSPRNG (getrandom), one home for the daemon and the tools. The pure
// core only sees the clock::Random interface; tests inject clock::SeededRandom.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "clock/random.hpp"

namespace ntplite::sysutil {

/// Fills `out` from getrandom (retrying short reads and EINTR). If getrandom fails (not on
/// Linux >= 3.17), std::random_device is mixed in instead so the bytes are never predictable.
void fill_random(std::span<std::byte> out);

/// One random 64-bit word from fill_random().
uint64_t random_u64();

/// clock::Random backed by fill_random(), read in blocks of 32 words so a poll costs no
/// system call. Not thread-safe (one per thread).
class KernelRandom final : public clock::Random {
  public:
    uint64_t next_u64() override;

  private:
    std::array<uint64_t, 32> buf_{};
    std::size_t pos_ = buf_.size();
};

}  // namespace ntplite::sysutil
