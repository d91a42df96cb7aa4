#include "sysutil/rx_meta.hpp"

#include <cstring>
#include <ctime>

namespace ntplite::sysutil {

RxMeta read_rx_meta(msghdr& hdr) {
    RxMeta m;
    if (hdr.msg_control == nullptr || hdr.msg_controllen == 0) return m;
    for (cmsghdr* c = CMSG_FIRSTHDR(&hdr); c; c = CMSG_NXTHDR(&hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
            timespec ts{};
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            m.kernel_rx_ns = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
                   c->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
            std::memcpy(&m.dst.dst4, CMSG_DATA(c), sizeof m.dst.dst4);
            m.dst.has_dst4 = true;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
                   c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
            std::memcpy(&m.dst.dst6, CMSG_DATA(c), sizeof m.dst.dst6);
            m.dst.has_dst6 = true;
        }
    }
    return m;
}

std::optional<int64_t> read_rx_timestamp(msghdr& hdr) {
    return read_rx_meta(hdr).kernel_rx_ns;
}

void set_reply_source(msghdr& t, const ReplySource& src, std::span<std::byte> ctrl) {
    t.msg_control = nullptr;
    t.msg_controllen = 0;
    if (!src.any()) return;
    t.msg_control = ctrl.data();
    t.msg_controllen =
        src.has_dst4 ? CMSG_SPACE(sizeof(in_pktinfo)) : CMSG_SPACE(sizeof(in6_pktinfo));
    std::memset(ctrl.data(), 0, t.msg_controllen);
    cmsghdr* c = CMSG_FIRSTHDR(&t);
    if (src.has_dst4) {
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
        in_pktinfo pi{};
        pi.ipi_spec_dst = src.dst4.ipi_addr;  // source = the address the client asked
        std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    } else {
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
        in6_pktinfo pi{};
        pi.ipi6_addr = src.dst6.ipi6_addr;
        pi.ipi6_ifindex = src.dst6.ipi6_ifindex;  // needed for link-local destinations
        std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
}

}  // namespace ntplite::sysutil
