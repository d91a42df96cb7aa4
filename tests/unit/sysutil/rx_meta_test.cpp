// sysutil: receive metadata parsing (length-checked), reply-source control messages, clock reads
// and the kernel random source.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <ctime>
#include <set>

#include "sysutil/clock_read.hpp"
#include "sysutil/random.hpp"
#include "sysutil/rx_meta.hpp"

namespace ntplite::sysutil {
namespace {

// A control buffer holding one message of `level`/`type` with `payload`, its cmsg_len
// `len_override` bytes shorter than the payload needs when non-zero.
struct Ctrl {
    alignas(cmsghdr) std::array<std::byte, 256> buf{};
    msghdr hdr{};
    Ctrl(int level, int type, const void* payload, std::size_t size, std::size_t short_by = 0) {
        hdr.msg_control = buf.data();
        hdr.msg_controllen = CMSG_SPACE(size);
        cmsghdr* c = CMSG_FIRSTHDR(&hdr);
        c->cmsg_level = level;
        c->cmsg_type = type;
        c->cmsg_len = CMSG_LEN(size) - short_by;
        std::memcpy(CMSG_DATA(c), payload, size);
    }
};

TEST(RxMeta, ReadsKernelTimestamp) {
    timespec ts{1'700'000'000, 123'456'789};
    Ctrl c(SOL_SOCKET, SCM_TIMESTAMPNS, &ts, sizeof ts);
    RxMeta m = read_rx_meta(c.hdr);
    ASSERT_TRUE(m.kernel_rx_ns);
    EXPECT_EQ(*m.kernel_rx_ns, 1'700'000'000'123'456'789);
    EXPECT_FALSE(m.dst.any());
    EXPECT_EQ(read_rx_timestamp(c.hdr), m.kernel_rx_ns);
}

TEST(RxMeta, IgnoresTruncatedMessages) {
    timespec ts{1'700'000'000, 1};
    Ctrl c(SOL_SOCKET, SCM_TIMESTAMPNS, &ts, sizeof ts, 4);
    EXPECT_FALSE(read_rx_meta(c.hdr).kernel_rx_ns);
    in_pktinfo pi{};
    Ctrl p(IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi, 1);
    EXPECT_FALSE(read_rx_meta(p.hdr).dst.any());
}

TEST(RxMeta, NoControlData) {
    msghdr h{};
    EXPECT_FALSE(read_rx_meta(h).kernel_rx_ns);
    EXPECT_FALSE(read_rx_timestamp(h));
}

TEST(RxMeta, PktinfoRoundTripsToReplySource) {
    in_pktinfo pi{};
    pi.ipi_addr.s_addr = htonl(0x7f000005);
    Ctrl c(IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
    RxMeta m = read_rx_meta(c.hdr);
    ASSERT_TRUE(m.dst.has_dst4);
    msghdr t{};
    alignas(cmsghdr) std::array<std::byte, kReplySourceCtrlSize> ctrl{};
    set_reply_source(t, m.dst, ctrl);
    ASSERT_EQ(t.msg_controllen, CMSG_SPACE(sizeof(in_pktinfo)));
    cmsghdr* out = CMSG_FIRSTHDR(&t);
    EXPECT_EQ(out->cmsg_level, IPPROTO_IP);
    EXPECT_EQ(out->cmsg_type, IP_PKTINFO);
    in_pktinfo sent{};
    std::memcpy(&sent, CMSG_DATA(out), sizeof sent);
    EXPECT_EQ(sent.ipi_spec_dst.s_addr, htonl(0x7f000005));  // reply leaves from the asked address

    in6_pktinfo pi6{};
    pi6.ipi6_addr.s6_addr[15] = 1;
    pi6.ipi6_ifindex = 7;
    Ctrl c6(IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof pi6);
    set_reply_source(t, read_rx_meta(c6.hdr).dst, ctrl);
    ASSERT_EQ(t.msg_controllen, CMSG_SPACE(sizeof(in6_pktinfo)));
    in6_pktinfo sent6{};
    std::memcpy(&sent6, CMSG_DATA(CMSG_FIRSTHDR(&t)), sizeof sent6);
    EXPECT_EQ(sent6.ipi6_addr.s6_addr[15], 1);
    EXPECT_EQ(sent6.ipi6_ifindex, 7);

    set_reply_source(t, ReplySource{}, ctrl);  // bound sockets: no control data
    EXPECT_EQ(t.msg_control, nullptr);
    EXPECT_EQ(t.msg_controllen, 0u);
}

TEST(ClockRead, MatchesTheKernelClocks) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    const int64_t before = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    const int64_t now = realtime_ns();
    EXPECT_GE(now, before);
    EXPECT_LT(now - before, 1'000'000'000);
    const int64_t m1 = monotonic_ns();
    const int64_t m2 = monotonic_ns();
    EXPECT_GE(m2, m1);
}

TEST(KernelRandom, WordsDiffer) {
    KernelRandom r;
    std::set<uint64_t> seen;
    for (int i = 0; i < 100; ++i) seen.insert(r.next_u64());  // crosses a refill (32 words)
    EXPECT_EQ(seen.size(), 100u);
    EXPECT_NE(random_u64(), random_u64());
}

}  // namespace
}  // namespace ntplite::sysutil
