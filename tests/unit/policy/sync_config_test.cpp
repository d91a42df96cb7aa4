// config -> sync core mapping: every [clock] and [[source]] key lands in the right unit and sign.
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "daemon/policy/sync/sync_config.hpp"
#include "proto/refid.hpp"

namespace ntplite::daemon {
namespace {

config::IpAddress ip(const char* text) {
    return *config::parse_ip(text);
}

TEST(SyncConfig, ClockTableMapsToEngineConfig) {
    config::ClockConfig c;
    c.step_threshold_s = 0.128;
    c.step_limit = -1;
    c.panic_threshold_s = 0;
    c.max_backward_step_s = 2.5;
    c.min_sources = 2;
    auto e = engine_config_from(c, -22, {0x0A000001});
    EXPECT_EQ(e.precision_log2, -22);
    EXPECT_EQ(e.selection.min_sane_sources, 2);
    ASSERT_EQ(e.selection.own_refids.size(), 1u);
    EXPECT_EQ(e.selection.own_refids[0], 0x0A000001u);
    EXPECT_EQ(e.discipline.step_threshold_ns, 128'000'000);
    EXPECT_LT(e.discipline.step_limit_updates, 0);  // -1 = steps always allowed
    EXPECT_EQ(e.discipline.panic_threshold_ns, 0);  // 0 = no panic threshold
    EXPECT_EQ(e.discipline.max_backward_step_ns, 2'500'000'000);
}

TEST(SyncConfig, UnlimitedBackwardStepIsNegativeInTheCore) {
    config::ClockConfig c;
    c.max_backward_step_s = 0;  // config: unlimited
    EXPECT_LT(engine_config_from(c, -20, {}).discipline.max_backward_step_ns, 0);
}

TEST(SyncConfig, DefaultsFromAParsedFile) {
    auto cfg = config::parse_config(R"(
[[source]]
address = "192.0.2.1:11123"
iburst = true
minpoll = 0
maxpoll = 2
prefer = true

[[source]]
mode = "pool"
address = "pool.example"
max_sources = 3
)",
                                    "t.toml");
    ASSERT_TRUE(cfg) << cfg.error()[0].to_string();
    ASSERT_EQ(cfg->sources.size(), 2u);
    auto e = engine_config_from(cfg->clock, -20, {});
    EXPECT_EQ(e.discipline.step_threshold_ns, 128'000'000);
    EXPECT_EQ(e.discipline.panic_threshold_ns, 1000'000'000'000);
    EXPECT_EQ(e.selection.min_sane_sources, 1);

    auto s = source_config_from(cfg->sources[0], {ip("192.0.2.1"), 11123});
    EXPECT_EQ(s.name, "192.0.2.1:11123");
    EXPECT_EQ(s.address_refid, 0xC0000201u);
    EXPECT_EQ(s.minpoll_log2, 0);
    EXPECT_EQ(s.maxpoll_log2, 2);
    EXPECT_TRUE(s.iburst);
    EXPECT_TRUE(s.prefer);
    EXPECT_FALSE(s.noselect);
    EXPECT_FALSE(s.pool_member);
    EXPECT_EQ(wanted_members(cfg->sources[0]), 1u);

    auto p = source_config_from(cfg->sources[1], {ip("2001:db8::1"), 123});
    EXPECT_EQ(p.name, "[2001:db8::1]:123");
    EXPECT_TRUE(p.pool_member);
    EXPECT_EQ(p.minpoll_log2, 6);
    EXPECT_EQ(p.maxpoll_log2, 10);
    EXPECT_EQ(wanted_members(cfg->sources[1]), 3u);
}

TEST(SyncConfig, RefidOfIpv4IsTheAddressAndOfIpv6TheHash) {
    EXPECT_EQ(refid_of(ip("127.0.0.1")), 0x7F000001u);
    auto v6 = ip("2001:db8::1");
    EXPECT_EQ(refid_of(v6), proto::refid_from_ipv6(v6.bytes));
    // An IPv4-mapped IPv6 address is the IPv4 address.
    EXPECT_EQ(refid_of(ip("::ffff:192.0.2.7")), 0xC0000207u);
}

TEST(SyncConfig, OwnRefidsLeaveOutLoopbackAndDuplicates) {
    std::vector<config::IpAddress> local{ip("127.0.0.1"), ip("::1"),     ip("10.1.2.3"),
                                         ip("10.1.2.3"),  ip("fe80::1"), ip("127.0.0.53")};
    auto own = own_refids_of(local);
    ASSERT_EQ(own.size(), 2u);
    EXPECT_EQ(own[0], 0x0A010203u);
    EXPECT_EQ(own[1], refid_of(ip("fe80::1")));
    EXPECT_TRUE(is_loopback(ip("127.255.0.1")));
    EXPECT_FALSE(is_loopback(ip("128.0.0.1")));
    EXPECT_FALSE(is_loopback(ip("::2")));
}

TEST(SyncConfig, AddressNames) {
    EXPECT_EQ(to_string(SourceAddress{ip("10.0.0.1"), 123}), "10.0.0.1:123");
    EXPECT_EQ(to_string(SourceAddress{ip("::1"), 11123}), "[::1]:11123");
}

}  // namespace
}  // namespace ntplite::daemon
