// Batched datagram IO on a native socket: recvmmsg/sendmmsg, or one recvmsg/sendmsg at a time in
// the simulator-compatible build (LD_PRELOAD simulators intercept only the plain calls).
#pragma once

#include <sys/socket.h>

#include <cstddef>

namespace ntplite::daemon {

/// Receives up to `n` datagrams without blocking. Returns how many (0 if none are queued), or -1
/// with errno set on an error other than "would block".
int receive_batch(int fd, mmsghdr* msgs, unsigned n);

/// Sends `n` prepared datagrams without blocking. Returns how many the kernel took (it stops at
/// the first failure); `*first_errno` receives that failure's errno, or 0.
unsigned send_batch(int fd, mmsghdr* msgs, unsigned n, int* first_errno);

/// Opens a non-blocking UDP socket for `addr` with SO_REUSEPORT (one per worker, the kernel
/// spreads clients across them), SO_TIMESTAMPNS (kernel receive timestamps) and, for IPv6,
/// IPV6_V6ONLY, and binds it. A wildcard address (0.0.0.0, ::) also asks for the request's
/// destination address (IP_PKTINFO / IPV6_RECVPKTINFO) so the reply can leave from it.
/// Returns the fd, or -1 with errno set; `*what` names the failing step.
int open_server_socket(const sockaddr_storage& addr, socklen_t addr_len, const char** what);

/// True for 0.0.0.0 and ::.
bool is_wildcard(const sockaddr_storage& addr);

}  // namespace ntplite::daemon
