// Per-client-address request rate limiting in a fixed-size table, like chrony's `ratelimit`.
// Pure: "now" is an input, nothing is allocated after construction, one instance per worker
// thread (SO_REUSEPORT hashes a client to one socket, so per-worker tables see all its packets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "config/config.hpp"
#include "config/net.hpp"

namespace ntplite::daemon {

/// What to do with one request.
enum class RateDecision : uint8_t {
    kAllow,  ///< within the client's rate: answer
    kLeak,   ///< over the rate, but in the leaked fraction: answer normally anyway
    kKiss,   ///< over the rate: answer with KoD RATE (at most one per interval per client)
    kDrop,   ///< over the rate: no answer
};

/// A generic cell rate algorithm per client: each slot keeps the time at which the client's
/// budget would be fully restored ("theoretical arrival time"); a request costs one interval and
/// is allowed while that debt stays within burst intervals. Slots live in 4-way sets indexed by
/// a seeded hash of the address; a new client takes a free way or evicts the way whose debt
/// expires first (the least active client), so floods keep their debt and memory stays fixed.
/// KoD RATE replies are themselves limited to one per interval per client: otherwise a flood
/// with a spoofed source address would still be reflected at its victim one for one.
class RateLimiter {
  public:
    static constexpr std::size_t kWays = 4;

    /// `seed` randomises the hash so an attacker cannot aim collisions at a victim's set.
    explicit RateLimiter(const config::RateLimitConfig& cfg, uint64_t seed = 0x9e3779b97f4a7c15u);

    /// Accounts one request from `client` at `now_ns` (a monotonic clock, ns) and decides.
    RateDecision check(const config::IpAddress& client, int64_t now_ns);

    /// Number of client slots (table_size rounded up to a power of two, at least kWays).
    std::size_t slots() const { return slots_.size(); }
    /// Clients evicted to make room for new ones since construction.
    uint64_t evictions() const { return evictions_; }

  private:
    struct Slot {
        config::IpAddress address{};
        int64_t debt_until_ns = 0;  ///< budget fully restored at this time; <= now means idle
        int64_t next_kod_ns = 0;    ///< no KoD RATE to this client before this time
        uint32_t leak_acc = 0;      ///< leaked-answer accumulator, 1/65536 units
        bool used = false;
    };
    Slot& find_or_claim(const config::IpAddress& client, int64_t now_ns);

    std::vector<Slot> slots_;
    std::size_t set_mask_ = 0;  ///< number of sets - 1
    int64_t interval_ns_;
    int64_t burst_window_ns_;  ///< burst * interval
    uint32_t leak_per_65536_;
    bool kod_;
    uint64_t seed_;
    uint64_t evictions_ = 0;
};

}  // namespace ntplite::daemon
