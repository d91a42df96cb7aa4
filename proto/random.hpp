// Injected randomness: the core never seeds or reads entropy itself, so runs are repeatable.
// (Here in proto/ so both the sync core and the authentication layer take the same interface.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>

namespace ntplite::proto {

/// A source of random 64-bit words (the daemon backs it with getrandom, tests with a seed).
class Random {
  public:
    virtual ~Random() = default;
    virtual uint64_t next_u64() = 0;
    /// Uniform in [0, 1).
    double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
    /// Fills `out` with random bytes (nonces, unique identifiers).
    void fill(std::span<std::byte> out) {
        for (std::size_t i = 0; i < out.size(); i += 8) {
            const uint64_t w = next_u64();
            std::memcpy(out.data() + i, &w, std::min<std::size_t>(8, out.size() - i));
        }
    }
};

/// Deterministic Random for tests and the simulator.
class SeededRandom final : public Random {
  public:
    explicit SeededRandom(uint64_t seed) : engine_(seed) {}
    uint64_t next_u64() override { return engine_(); }

  private:
    std::mt19937_64 engine_;
};

}  // namespace ntplite::proto
