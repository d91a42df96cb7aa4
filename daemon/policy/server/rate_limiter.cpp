#include "daemon/policy/server/rate_limiter.hpp"

#include "daemon/policy/server/address_hash.hpp"

#include <bit>
#include <cmath>
#include <cstring>

namespace ntplite::daemon {

RateLimiter::RateLimiter(const config::RateLimitConfig& cfg, uint64_t seed) : seed_(seed) {
    set_limits(cfg);
    std::size_t n = std::bit_ceil(std::max<std::size_t>(cfg.table_size, kWays));
    slots_.resize(n);
    set_mask_ = n / kWays - 1;
}

void RateLimiter::set_limits(const config::RateLimitConfig& cfg) {
    interval_ns_ = cfg.interval_log2 >= 0 ? int64_t{1'000'000'000} << cfg.interval_log2
                                          : int64_t{1'000'000'000} >> -cfg.interval_log2;
    burst_window_ns_ = interval_ns_ * static_cast<int64_t>(cfg.burst);
    leak_per_65536_ = static_cast<uint32_t>(std::lround(cfg.leak * 65536.0));
    kod_ = cfg.kod;
}

RateLimiter::Slot& RateLimiter::find_or_claim(const config::IpAddress& client, int64_t now_ns) {
    Slot* set = &slots_[(hash_address(client, seed_) & set_mask_) * kWays];
    Slot* victim = nullptr;
    for (std::size_t i = 0; i < kWays; ++i) {
        Slot& s = set[i];
        if (s.used && s.address == client) return s;
        if (!s.used) {
            if (!victim || victim->used) victim = &s;
        } else if (!victim || (victim->used && s.debt_until_ns < victim->debt_until_ns)) {
            victim = &s;
        }
    }
    if (victim->used) ++evictions_;
    *victim = Slot{client, now_ns, now_ns, 0, true};
    return *victim;
}

RateDecision RateLimiter::check(const config::IpAddress& client, int64_t now_ns) {
    Slot& s = find_or_claim(client, now_ns);
    int64_t start = s.debt_until_ns > now_ns ? s.debt_until_ns : now_ns;
    int64_t next = start + interval_ns_;
    if (next - now_ns <= burst_window_ns_) {
        s.debt_until_ns = next;
        return RateDecision::kAllow;
    }
    // Limited: no debt is added, so a client that slows down recovers at the configured rate.
    s.leak_acc += leak_per_65536_;
    if (s.leak_acc >= 65536) {
        s.leak_acc -= 65536;
        return RateDecision::kLeak;
    }
    if (kod_ && now_ns >= s.next_kod_ns) {
        s.next_kod_ns = now_ns + interval_ns_;
        return RateDecision::kKiss;
    }
    return RateDecision::kDrop;
}

}  // namespace ntplite::daemon
