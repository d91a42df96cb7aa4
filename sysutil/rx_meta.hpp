// Ancillary data of UDP datagrams, one home for the daemon and the tools: the kernel's receive
// timestamp (SCM_TIMESTAMPNS, enabled with SO_TIMESTAMPNS) and the destination address of a
// request on a wildcard socket (IP_PKTINFO / IPV6_PKTINFO), which a reply must leave from.
// Every control message is checked against its cmsg_len before it is read.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ntplite::sysutil {

/// Where a request was sent to, for replying from that address (wildcard sockets only).
struct ReplySource {
    bool has_dst4 = false;  ///< IP_PKTINFO seen (wildcard IPv4 socket)
    in_pktinfo dst4{};
    bool has_dst6 = false;  ///< IPV6_PKTINFO seen (wildcard IPv6 socket)
    in6_pktinfo dst6{};
    bool any() const { return has_dst4 || has_dst6; }
};

/// What the kernel told us about one received datagram in its control messages.
struct RxMeta {
    std::optional<int64_t> kernel_rx_ns;  ///< SCM_TIMESTAMPNS, Unix ns; none if absent
    ReplySource dst;
};

/// Reads every control message of a received `hdr` (after recvmsg/recvmmsg). Messages shorter
/// than their payload type are ignored.
RxMeta read_rx_meta(msghdr& hdr);

/// Only the SCM_TIMESTAMPNS receive time (Unix ns) of a received `hdr`, if the kernel gave one.
std::optional<int64_t> read_rx_timestamp(msghdr& hdr);

/// Control buffer bytes that set_reply_source() needs at most.
inline constexpr std::size_t kReplySourceCtrlSize = CMSG_SPACE(sizeof(in6_pktinfo));

/// Makes the outgoing `t` leave from the address `src` names (IP_PKTINFO / IPV6_PKTINFO, using
/// `ctrl`, at least kReplySourceCtrlSize bytes aligned for cmsghdr), or clears t's control data
/// if `src` names none.
void set_reply_source(msghdr& t, const ReplySource& src, std::span<std::byte> ctrl);

}  // namespace ntplite::sysutil
