// Access control: longest prefix wins, deny wins ties, IPv4-mapped IPv6 is IPv4, default policy.
#include <gtest/gtest.h>

#include "daemon/policy/server/acl.hpp"

namespace ntplite::daemon {
namespace {

config::IpAddress ip(const char* s) {
    return *config::parse_ip(s);
}

config::AccessConfig lists(std::initializer_list<const char*> allow,
                           std::initializer_list<const char*> deny) {
    config::AccessConfig a;
    for (auto* p : allow) a.allow.push_back(*config::parse_cidr(p));
    for (auto* p : deny) a.deny.push_back(*config::parse_cidr(p));
    return a;
}

TEST(Acl, EmptyListsAllowEveryone) {
    Acl acl;
    EXPECT_TRUE(acl.allows_all());
    EXPECT_TRUE(acl.allowed(ip("192.0.2.1")));
    EXPECT_TRUE(acl.allowed(ip("2001:db8::1")));
    Acl from_empty{config::AccessConfig{}};
    EXPECT_TRUE(from_empty.allows_all());
}

TEST(Acl, AnAllowListDeniesEverythingElse) {
    Acl acl{lists({"127.0.0.1"}, {})};
    EXPECT_FALSE(acl.allows_all());
    EXPECT_TRUE(acl.allowed(ip("127.0.0.1")));
    EXPECT_FALSE(acl.allowed(ip("127.0.0.3")));
    EXPECT_FALSE(acl.allowed(ip("::1")));
}

TEST(Acl, OnlyADenyListAllowsTheRest) {
    Acl acl{lists({}, {"10.0.0.0/8"})};
    EXPECT_FALSE(acl.allowed(ip("10.1.2.3")));
    EXPECT_TRUE(acl.allowed(ip("11.1.2.3")));
    EXPECT_TRUE(acl.allowed(ip("2001:db8::1")));
}

TEST(Acl, LongestPrefixWinsWhicheverListItIsIn) {
    Acl acl{lists({"10.0.0.0/8", "10.1.2.0/24"}, {"10.1.0.0/16", "10.1.2.128/25"})};
    EXPECT_TRUE(acl.allowed(ip("10.9.9.9")));     // /8 allow
    EXPECT_FALSE(acl.allowed(ip("10.1.9.9")));    // /16 deny beats /8 allow
    EXPECT_TRUE(acl.allowed(ip("10.1.2.3")));     // /24 allow beats /16 deny
    EXPECT_FALSE(acl.allowed(ip("10.1.2.200")));  // /25 deny beats /24 allow
    EXPECT_FALSE(acl.allowed(ip("192.0.2.1")));   // no match, allow list present
}

TEST(Acl, DenyWinsATie) {
    Acl acl{lists({"192.0.2.0/24"}, {"192.0.2.0/24"})};
    EXPECT_FALSE(acl.allowed(ip("192.0.2.1")));
}

TEST(Acl, Ipv4MappedAddressesAreTreatedAsIpv4) {
    Acl acl{lists({"127.0.0.0/8"}, {"127.0.0.3"})};
    EXPECT_TRUE(acl.allowed(ip("::ffff:127.0.0.1")));
    EXPECT_FALSE(acl.allowed(ip("::ffff:127.0.0.3")));
    // A v6 rule never matches an IPv4 client, even ::/0.
    Acl v6only{lists({"::/0"}, {})};
    EXPECT_TRUE(v6only.allowed(ip("2001:db8::1")));
    EXPECT_FALSE(v6only.allowed(ip("::ffff:192.0.2.1")));
    EXPECT_FALSE(v6only.allowed(ip("192.0.2.1")));
}

TEST(Acl, Ipv6Prefixes) {
    Acl acl{lists({"2001:db8::/32", "::1"}, {"2001:db8:bad::/48"})};
    EXPECT_TRUE(acl.allowed(ip("2001:db8:1::1")));
    EXPECT_FALSE(acl.allowed(ip("2001:db8:bad::1")));
    EXPECT_TRUE(acl.allowed(ip("::1")));
    EXPECT_FALSE(acl.allowed(ip("::2")));
}

TEST(Acl, AllowOnlyListEmptyAllowsNobody) {
    // [control] allow: inside the list or denied; an empty list denies everyone.
    Acl control = Acl::allow_only({*config::parse_cidr("127.0.0.1"), *config::parse_cidr("::1")});
    EXPECT_TRUE(control.allowed(ip("127.0.0.1")));
    EXPECT_TRUE(control.allowed(ip("::1")));
    EXPECT_TRUE(control.allowed(ip("::ffff:127.0.0.1")));
    EXPECT_FALSE(control.allowed(ip("127.0.0.2")));
    EXPECT_FALSE(control.allows_all());
    Acl none = Acl::allow_only({});
    EXPECT_FALSE(none.allowed(ip("127.0.0.1")));
    EXPECT_FALSE(none.allowed(ip("::1")));
    EXPECT_FALSE(none.allows_all());
}

}  // namespace
}  // namespace ntplite::daemon
