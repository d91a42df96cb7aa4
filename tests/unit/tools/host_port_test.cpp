#include "tools/ntpq/host_port.hpp"

#include <gtest/gtest.h>

namespace ntplite::tools {
namespace {

TEST(HostPort, NameWithoutPortGetsDefault) {
    auto r = parse_host_port("pool.ntp.org");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->host, "pool.ntp.org");
    EXPECT_EQ(r->port, 123);
    EXPECT_FALSE(r->is_ipv6_literal);
}

TEST(HostPort, CallerDefaultPort) {
    auto r = parse_host_port("localhost", 11123);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->port, 11123);
}

TEST(HostPort, Ipv4WithPort) {
    auto r = parse_host_port("127.0.0.1:11123");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->host, "127.0.0.1");
    EXPECT_EQ(r->port, 11123);
}

TEST(HostPort, BracketedIpv6WithPort) {
    auto r = parse_host_port("[::1]:11123");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->host, "::1");
    EXPECT_EQ(r->port, 11123);
    EXPECT_TRUE(r->is_ipv6_literal);
}

TEST(HostPort, BracketedIpv6WithoutPort) {
    auto r = parse_host_port("[2001:db8::5]");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->host, "2001:db8::5");
    EXPECT_EQ(r->port, 123);
}

TEST(HostPort, BareIpv6IsAddressNotPort) {
    auto r = parse_host_port("fe80::1:123");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->host, "fe80::1:123");
    EXPECT_EQ(r->port, 123);
    EXPECT_TRUE(r->is_ipv6_literal);
}

TEST(HostPort, Ipv6Zone) {
    auto r = parse_host_port("[fe80::1%eth0]:124");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->host, "fe80::1%eth0");
    EXPECT_EQ(r->port, 124);
    EXPECT_FALSE(parse_host_port("[fe80::1%]:124"));
}

TEST(HostPort, NameWithPortAndUnderscore) {
    auto r = parse_host_port("time_1.example-site.test:4123");
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->host, "time_1.example-site.test");
    EXPECT_EQ(r->port, 4123);
}

TEST(HostPort, RejectsBadInput) {
    for (const char* bad : {"", ":123", "host:", "host:0", "host:65536", "host:12x", "host:-1",
                            "host:+5", "[::1", "[::1]x", "[::1]:", "[nothost]:123", "a b",
                            "1:2:3:zz", "host:1:2", "[]:123", "h\tx", "host: 12"}) {
        auto r = parse_host_port(bad);
        EXPECT_FALSE(r) << "accepted '" << bad << "' as " << (r ? r->host : "");
        if (!r) {
            EXPECT_FALSE(r.error().empty());
        }
    }
}

TEST(HostPort, PortBounds) {
    EXPECT_EQ(parse_host_port("h:1")->port, 1);
    EXPECT_EQ(parse_host_port("h:65535")->port, 65535);
}

TEST(HostPort, ToStringBracketsIpv6) {
    EXPECT_EQ(to_string(*parse_host_port("[::1]:5")), "[::1]:5");
    EXPECT_EQ(to_string(*parse_host_port("10.0.0.1")), "10.0.0.1:123");
}

}  // namespace
}  // namespace ntplite::tools
