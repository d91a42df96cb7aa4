// Injected randomness: the core never seeds or reads entropy itself, so runs are repeatable.
#pragma once

#include <cstdint>
#include <random>

namespace ntplite::clock {

/// A source of random 64-bit words (the daemon backs it with getrandom, tests with a seed).
class Random {
  public:
    virtual ~Random() = default;
    virtual uint64_t next_u64() = 0;
    /// Uniform in [0, 1).
    double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
};

/// Deterministic Random for tests and the simulator.
class SeededRandom final : public Random {
  public:
    explicit SeededRandom(uint64_t seed) : engine_(seed) {}
    uint64_t next_u64() override { return engine_(); }

  private:
    std::mt19937_64 engine_;
};

}  // namespace ntplite::clock
