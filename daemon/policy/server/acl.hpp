// Access control for served clients: allow/deny CIDR prefixes, the most specific match wins.
// Pure and immutable after construction, so worker threads share one without locks.
#pragma once

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
    bool allows_all() const { return rules_.empty() && default_allow_; }

  private:
    struct Rule {
        config::CidrPrefix prefix;
        bool allow = false;
    };
    std::vector<Rule> rules_;  ///< longest prefix first; deny before allow at equal length
    bool default_allow_ = true;
};

}  // namespace ntplite::daemon
