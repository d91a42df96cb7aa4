// /proc/net/udp{,6} lines -> local address, port, connected flag and inode; and the in-use
// message naming the owner.
#include "daemon/server/port_owner.hpp"

#include <gtest/gtest.h>

namespace ntplite::daemon {
namespace {

TEST(PortOwner, ParsesIpv4Line) {
    ProcUdpEntry e;
    ASSERT_TRUE(
        parse_proc_udp_line("  123: 0200007F:007B 00000000:0000 07 00000000:00000000 00:00000000 "
                            "00000000     0        0 "
                            "4242 2 0000000000000000 0",
                            false, e));
    EXPECT_EQ(e.local.to_string(), "127.0.0.2");
    EXPECT_EQ(e.local_port, 123);
    EXPECT_FALSE(e.connected);
    EXPECT_EQ(e.inode, 4242u);
}

TEST(PortOwner, ParsesIpv6LineAndConnectedSockets) {
    ProcUdpEntry e;
    ASSERT_TRUE(parse_proc_udp_line(
        "  7: 00000000000000000000000001000000:2EE1 00000000000000000000000001000000:007B 01 "
        "00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 0",
        true, e));
    EXPECT_EQ(e.local.to_string(), "::1");
    EXPECT_EQ(e.local_port, 12001);
    EXPECT_TRUE(e.connected);
    EXPECT_EQ(e.inode, 99u);
}

TEST(PortOwner, RejectsHeaderAndGarbage) {
    ProcUdpEntry e;
    EXPECT_FALSE(parse_proc_udp_line(
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode ref pointer drops",
        false, e));
    EXPECT_FALSE(parse_proc_udp_line("  1: ZZ00007F:007B 00000000:0000 07 0 0 0 0 0 1", false, e));
    EXPECT_FALSE(parse_proc_udp_line("", false, e));
}

TEST(PortOwner, DescribesOwners) {
    Endpoint e{*config::parse_ip("127.0.0.2"), 123, 0};
    PortUser chrony{1, 1234, "chronyd", "127.0.0.2:123"};
    PortUser unknown{2, 0, "", "0.0.0.0:123"};
    EXPECT_EQ(describe_port_users(e, {chrony}), "127.0.0.2:123 is in use by pid 1234 (chronyd)");
    EXPECT_EQ(describe_port_users(e, {chrony, unknown}),
              "127.0.0.2:123 is in use by pid 1234 (chronyd), another process (socket inode 2; "
              "run as root to see which) bound to 0.0.0.0:123");
}

}  // namespace
}  // namespace ntplite::daemon
