#include "daemon/policy/server/acl.hpp"

#include <algorithm>

namespace ntplite::daemon {
namespace {

std::array<uint8_t, 16> masked(const std::array<uint8_t, 16>& bytes, unsigned length_bits) {
    std::array<uint8_t, 16> out{};
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned bit0 = i * 8;
        if (bit0 + 8 <= length_bits) {
            out[i] = bytes[i];
        } else if (bit0 < length_bits) {
            out[i] = static_cast<uint8_t>(bytes[i] & (0xff << (8 - (length_bits - bit0))));
        }
    }
    return out;
}

}  // namespace

void Acl::add(std::vector<LengthGroup>& groups, const config::CidrPrefix& p, bool allow) {
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const LengthGroup& x) { return x.length_bits == p.length_bits; });
    if (g == groups.end()) {
        groups.push_back(LengthGroup{p.length_bits, {}});
        g = groups.end() - 1;
    }
    g->entries.push_back(Entry{masked(p.network.bytes, p.length_bits), allow});
}

Acl::Acl(const config::AccessConfig& access) : default_allow_(access.allow.empty()) {
    for (const auto& p : access.deny) add(p.v4 ? v4_ : v6_, p, false);
    for (const auto& p : access.allow) add(p.v4 ? v4_ : v6_, p, true);
    for (auto* groups : {&v4_, &v6_}) {
        std::sort(groups->begin(), groups->end(), [](const LengthGroup& a, const LengthGroup& b) {
            return a.length_bits > b.length_bits;
        });
        for (auto& g : *groups) {
            // Deny sorts first among equal networks and unique() keeps the first: deny wins.
            std::sort(g.entries.begin(), g.entries.end(), [](const Entry& a, const Entry& b) {
                return a.network != b.network ? a.network < b.network : a.allow < b.allow;
            });
            g.entries.erase(
                std::unique(g.entries.begin(), g.entries.end(),
                            [](const Entry& a, const Entry& b) { return a.network == b.network; }),
                g.entries.end());
            g.entries.shrink_to_fit();
        }
    }
}

int Acl::lookup(const std::vector<LengthGroup>& groups, const config::IpAddress& a) {
    for (const auto& g : groups) {
        const Entry key{masked(a.bytes, g.length_bits), false};
        auto it = std::lower_bound(g.entries.begin(), g.entries.end(), key);
        if (it != g.entries.end() && it->network == key.network) return it->allow ? 1 : 0;
    }
    return -1;
}

Acl Acl::allow_only(const std::vector<config::CidrPrefix>& allow) {
    Acl acl(config::AccessConfig{allow, {}});
    acl.default_allow_ = false;  // no match -> denied, even with an empty list
    return acl;
}

bool Acl::allowed(const config::IpAddress& client) const {
    const int r = lookup(client.is_v4() ? v4_ : v6_, client);
    return r < 0 ? default_allow_ : r == 1;
}

}  // namespace ntplite::daemon
