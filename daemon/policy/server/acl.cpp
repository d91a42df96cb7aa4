#include "daemon/policy/server/acl.hpp"

#include <algorithm>

namespace ntplite::daemon {

Acl::Acl(const config::AccessConfig& access) : default_allow_(access.allow.empty()) {
    for (const auto& p : access.deny) rules_.push_back({p, false});
    for (const auto& p : access.allow) rules_.push_back({p, true});
    // Stable sort keeps deny (inserted first) ahead of allow for equal lengths.
    std::stable_sort(rules_.begin(), rules_.end(), [](const Rule& a, const Rule& b) {
        return a.prefix.length_bits > b.prefix.length_bits;
    });
}

Acl Acl::allow_only(const std::vector<config::CidrPrefix>& allow) {
    Acl acl(config::AccessConfig{allow, {}});
    acl.default_allow_ = false;  // no match -> denied, even with an empty list
    return acl;
}

bool Acl::allowed(const config::IpAddress& client) const {
    for (const auto& r : rules_) {
        if (r.prefix.contains(client)) return r.allow;
    }
    return default_allow_;
}

}  // namespace ntplite::daemon
