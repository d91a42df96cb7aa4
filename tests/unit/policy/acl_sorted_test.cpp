// The ACL's sorted per-length lookup (issue 14) against the plain definition: the longest
// matching prefix decides, deny wins a tie, no match -> allowed only without an allow list.
#include <gtest/gtest.h>

#include <random>

#include "daemon/policy/server/acl.hpp"

namespace ntplite::daemon {
namespace {

bool reference_allowed(const config::AccessConfig& a, const config::IpAddress& ip) {
    int best_len = -1;
    bool best_allow = false;
    for (const auto& p : a.deny) {
        if (p.contains(ip) && p.length_bits > best_len) {
            best_len = p.length_bits;
            best_allow = false;
        }
    }
    for (const auto& p : a.allow) {
        if (p.contains(ip) && p.length_bits > best_len) {
            best_len = p.length_bits;
            best_allow = true;
        }
    }
    return best_len < 0 ? a.allow.empty() : best_allow;
}

config::IpAddress random_ip(std::mt19937_64& rng, bool v4) {
    std::array<uint8_t, 16> b{};
    // A small address space so that prefixes and addresses collide often.
    for (auto& x : b) x = static_cast<uint8_t>(rng() % 4);
    if (v4) return config::IpAddress::from_v4({b[0], b[1], b[2], b[3]});
    return config::IpAddress::from_v6(b);
}

config::CidrPrefix random_prefix(std::mt19937_64& rng) {
    const bool v4 = rng() % 2 == 0;
    const unsigned len =
        v4 ? static_cast<unsigned>(rng() % 33) : static_cast<unsigned>(rng() % 129);
    const auto ip = random_ip(rng, v4);
    // Clear host bits through the parser's own rule: build the text and parse it.
    std::string text = ip.to_string() + "/" + std::to_string(len);
    for (;;) {
        auto p = config::parse_cidr(text);
        if (p) return *p;
        // "did you mean X?" gives the network with host bits cleared.
        const auto& e = p.error();
        const auto at = e.find("did you mean ");
        if (at == std::string::npos) return *config::parse_cidr(v4 ? "0.0.0.0/0" : "::/0");
        text = e.substr(at + 13, e.find('?', at) - at - 13);
    }
}

TEST(AclSorted, AgreesWithTheDefinitionOnRandomLists) {
    std::mt19937_64 rng(14);
    for (int round = 0; round < 200; ++round) {
        config::AccessConfig a;
        const int n_allow = static_cast<int>(rng() % 12), n_deny = static_cast<int>(rng() % 12);
        for (int i = 0; i < n_allow; ++i) a.allow.push_back(random_prefix(rng));
        for (int i = 0; i < n_deny; ++i) a.deny.push_back(random_prefix(rng));
        const Acl acl(a);
        for (int k = 0; k < 200; ++k) {
            const auto ip = random_ip(rng, rng() % 2 == 0);
            ASSERT_EQ(acl.allowed(ip), reference_allowed(a, ip))
                << "round " << round << " address " << ip.to_string();
        }
    }
}

TEST(AclSorted, LargeListsStayCorrect) {
    config::AccessConfig a;
    for (unsigned i = 0; i < config::kMaxPrefixesPerList; ++i) {
        a.deny.push_back(
            config::CidrPrefix{config::IpAddress::from_v4(
                                   {10, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 0}),
                               120, true});
    }
    a.allow.push_back(*config::parse_cidr("10.0.0.0/8"));
    const Acl acl(a);
    EXPECT_FALSE(acl.allowed(*config::parse_ip("10.39.15.7")));  // denied /24 (i = 9999)
    EXPECT_TRUE(acl.allowed(*config::parse_ip("10.39.16.7")));   // i = 10000: only the /8
    EXPECT_FALSE(acl.allowed(*config::parse_ip("192.0.2.1")));   // allow list present
}

}  // namespace
}  // namespace ntplite::daemon
