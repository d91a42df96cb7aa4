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
    /// Bytes per client slot (the man page's table_size figure; checked against sizeof(Slot)
    /// below and against docs/man/ntpd-lite.toml.5.scd by tests/unit/policy/rate_limiter_test).
    static constexpr std::size_t kSlotBytes = 40;

    /// `seed` randomises the hash so an attacker cannot aim collisions at a victim's set.
    explicit RateLimiter(const config::RateLimitConfig& cfg, uint64_t seed = 0x9e3779b97f4a7c15u);

    /// Applies new interval/burst/leak/kod (a reload); the table and its clients are kept
    /// (table_size is fixed at construction).
    void set_limits(const config::RateLimitConfig& cfg);

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
    // 16-byte address + two 8-byte times + 4 + 1, padded to 8: 40, not the 32 once documented.
    static_assert(sizeof(Slot) == kSlotBytes, "update kSlotBytes and the man page (table_size)");
    Slot& find_or_claim(const config::IpAddress& client, int64_t now_ns);

    std::vector<Slot> slots_;
    std::size_t set_mask_ = 0;  ///< number of sets - 1
    int64_t interval_ns_ = 0;
    int64_t burst_window_ns_ = 0;  ///< burst * interval
    uint32_t leak_per_65536_ = 0;
    bool kod_ = true;
    uint64_t seed_;
    uint64_t evictions_ = 0;
};

}  // namespace ntplite::daemon
