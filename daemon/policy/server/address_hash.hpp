// The seeded address hash shared by the server's fixed-size tables (RateLimiter, ClientTable):
// a random seed per table, so an attacker cannot aim many addresses at one victim's set.
#pragma once

#include <cstdint>
#include <cstring>

#include "config/net.hpp"

namespace ntplite::daemon {

/// splitmix64 finaliser: cheap and spreads every input bit.
constexpr uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/// Hash of the 16 address bytes (IPv4 as ::ffff:a.b.c.d) under `seed`; index a set with the low
/// bits.
inline uint64_t hash_address(const config::IpAddress& a, uint64_t seed) {
    uint64_t hi = 0, lo = 0;
    std::memcpy(&hi, a.bytes.data(), 8);
    std::memcpy(&lo, a.bytes.data() + 8, 8);
    return mix64(mix64(hi ^ seed) ^ lo);
}

}  // namespace ntplite::daemon
