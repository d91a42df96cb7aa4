// Access control for served clients: allow/deny CIDR prefixes, the most specific match wins.
// Pure and immutable after construction, so worker threads share one without locks.
// Lookup cost: one binary search per distinct prefix length in use (at most 33 for IPv4, 129 for
// IPv6; a handful in real configs), independent of the number of prefixes (issue 14: a linear
// scan per packet over a large list was a CPU lever for anyone sending packets).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "config/config.hpp"
#include "config/net.hpp"

namespace ntplite::daemon {

class Acl {
  public:
    /// Allows everyone.
    Acl() = default;
    /// The longest prefix containing an address decides; at equal length deny beats allow. With
    /// no matching prefix, an address is allowed only if the allow list is empty.
    explicit Acl(const config::AccessConfig& access);
    /// Allows exactly the addresses inside `allow`; an empty list allows nobody ([control] allow).
    static Acl allow_only(const std::vector<config::CidrPrefix>& allow);

    /// Whether `client` may be served. IPv4-mapped IPv6 addresses are IPv4 (see IpAddress).
    bool allowed(const config::IpAddress& client) const;
    /// True if every address is allowed (lets the hot path skip the lookup).
    bool allows_all() const { return v4_.empty() && v6_.empty() && default_allow_; }

  private:
    struct Entry {
        std::array<uint8_t, 16> network{};  ///< host bits cleared
        bool allow = false;
        friend bool operator<(const Entry& a, const Entry& b) { return a.network < b.network; }
    };
    /// Every prefix of one length, sorted by network, one entry per network (deny kept on a tie).
    struct LengthGroup {
        uint8_t length_bits = 0;  ///< in the 128-bit mapped space
        std::vector<Entry> entries;
    };
    static void add(std::vector<LengthGroup>& groups, const config::CidrPrefix& p, bool allow);
    static int lookup(const std::vector<LengthGroup>& groups, const config::IpAddress& a);

    std::vector<LengthGroup> v4_;  ///< longest length first
    std::vector<LengthGroup> v6_;
    bool default_allow_ = true;
};

}  // namespace ntplite::daemon
