// Address, prefix and listen-endpoint parsing.
#include <gtest/gtest.h>

#include "config/net.hpp"

namespace ntplite::config {
namespace {

TEST(ParseIp, V4IsStoredMappedAndV6MappedIsTheSameValue) {
    auto a = parse_ip("192.0.2.7");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_v4());
    EXPECT_EQ(a->to_string(), "192.0.2.7");
    auto mapped = parse_ip("::ffff:192.0.2.7");
    ASSERT_TRUE(mapped);
    EXPECT_EQ(*a, *mapped);
    auto v6 = parse_ip("2001:db8::1");
    ASSERT_TRUE(v6);
    EXPECT_FALSE(v6->is_v4());
    EXPECT_EQ(v6->to_string(), "2001:db8::1");
    EXPECT_FALSE(parse_ip("300.1.1.1"));
    EXPECT_FALSE(parse_ip("eth0"));
    EXPECT_FALSE(parse_ip(""));
}

TEST(ParseCidr, LengthsFamiliesAndHostPrefixes) {
    auto p = parse_cidr("10.0.0.0/8");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->v4);
    EXPECT_EQ(p->length_bits, 104);
    EXPECT_EQ(p->to_string(), "10.0.0.0/8");
    EXPECT_TRUE(p->contains(*parse_ip("10.200.3.4")));
    EXPECT_TRUE(p->contains(*parse_ip("::ffff:10.1.1.1")));
    EXPECT_FALSE(p->contains(*parse_ip("11.0.0.1")));

    auto host = parse_cidr("127.0.0.1");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->length_bits, 128);
    EXPECT_TRUE(host->contains(*parse_ip("127.0.0.1")));
    EXPECT_FALSE(host->contains(*parse_ip("127.0.0.2")));

    auto v6 = parse_cidr("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_FALSE(v6->v4);
    EXPECT_TRUE(v6->contains(*parse_ip("2001:db8:1::5")));
    EXPECT_FALSE(v6->contains(*parse_ip("2001:db9::5")));

    // ::/0 is every IPv6 address but not IPv4; 0.0.0.0/0 is every IPv4 address.
    EXPECT_FALSE(parse_cidr("::/0")->contains(*parse_ip("1.2.3.4")));
    EXPECT_TRUE(parse_cidr("::/0")->contains(*parse_ip("::1")));
    EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(*parse_ip("1.2.3.4")));

    // Odd lengths compare partial bytes.
    auto odd = parse_cidr("192.168.4.0/22");
    ASSERT_TRUE(odd);
    EXPECT_TRUE(odd->contains(*parse_ip("192.168.7.255")));
    EXPECT_FALSE(odd->contains(*parse_ip("192.168.8.0")));

    // Mapped v6 prefix written in v6 syntax becomes IPv4.
    auto mapped = parse_cidr("::ffff:10.0.0.0/104");
    ASSERT_TRUE(mapped);
    EXPECT_TRUE(mapped->v4);
    EXPECT_EQ(*mapped, *p);
}

TEST(ParseCidr, Errors) {
    EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
    EXPECT_FALSE(parse_cidr("10.0.0.0/"));
    EXPECT_FALSE(parse_cidr("10.0.0.0/x"));
    EXPECT_FALSE(parse_cidr("::/129"));
    EXPECT_FALSE(parse_cidr("bogus/8"));
    auto host_bits = parse_cidr("10.1.2.3/8");
    ASSERT_FALSE(host_bits);
    EXPECT_NE(host_bits.error().find("10.0.0.0/8"), std::string::npos) << host_bits.error();
}

TEST(ParseListen, AddressesPortsAndInterfaces) {
    auto a = parse_listen("127.0.0.1:12123");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->kind, ListenSpec::Kind::kAddress);
    EXPECT_EQ(a->address, *parse_ip("127.0.0.1"));
    EXPECT_EQ(a->port, 12123);

    auto no_port = parse_listen("127.0.0.2");
    ASSERT_TRUE(no_port);
    EXPECT_EQ(no_port->port, 123);

    auto v6 = parse_listen("[::1]:12124");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->address, *parse_ip("::1"));
    EXPECT_EQ(v6->port, 12124);
    EXPECT_EQ(v6->to_string(), "[::1]:12124");

    auto v6_bare = parse_listen("2001:db8::1");
    ASSERT_TRUE(v6_bare);
    EXPECT_EQ(v6_bare->port, 123);

    auto v6_bracket_no_port = parse_listen("[::1]");
    ASSERT_TRUE(v6_bracket_no_port);
    EXPECT_EQ(v6_bracket_no_port->port, 123);

    auto ifname = parse_listen("lo");
    ASSERT_TRUE(ifname);
    EXPECT_EQ(ifname->kind, ListenSpec::Kind::kInterface);
    EXPECT_EQ(ifname->interface, "lo");
    EXPECT_EQ(ifname->port, 123);

    auto if_port = parse_listen("eth0:12125");
    ASSERT_TRUE(if_port);
    EXPECT_EQ(if_port->interface, "eth0");
    EXPECT_EQ(if_port->port, 12125);
}

TEST(ParseListen, Errors) {
    EXPECT_FALSE(parse_listen(""));
    EXPECT_FALSE(parse_listen("127.0.0.1:0"));
    EXPECT_FALSE(parse_listen("127.0.0.1:65536"));
    EXPECT_FALSE(parse_listen("127.0.0.1:abc"));
    EXPECT_FALSE(parse_listen("[::1"));
    EXPECT_FALSE(parse_listen("[127.0.0.1]:123"));
    EXPECT_FALSE(parse_listen("[::1]x"));
    EXPECT_FALSE(parse_listen("300.1.1.1:123"));  // not an address, and digits are no interface
    EXPECT_FALSE(parse_listen("way-too-long-interface-name0"));
    EXPECT_FALSE(parse_listen("bad/name"));
    EXPECT_FALSE(parse_listen(":123"));
}

TEST(ParseHostPort, NamesAndLiterals) {
    auto h = parse_host_port("pool.example.org");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->host, "pool.example.org");
    EXPECT_EQ(h->port, 123);
    auto hp = parse_host_port("127.0.0.1:11123");
    ASSERT_TRUE(hp);
    EXPECT_EQ(hp->host, "127.0.0.1");
    EXPECT_EQ(hp->port, 11123);
    auto v6 = parse_host_port("[::1]:11124");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 11124);
}

}  // namespace
}  // namespace ntplite::config
