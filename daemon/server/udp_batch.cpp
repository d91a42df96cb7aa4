#include "daemon/server/udp_batch.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ntplite::daemon {

#if defined(NTPLITE_SIMULATOR_COMPAT)

int receive_batch(int fd, mmsghdr* msgs, unsigned n) {
    unsigned got = 0;
    for (; got < n; ++got) {
        ssize_t r = recvmsg(fd, &msgs[got].msg_hdr, MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
            return got > 0 ? static_cast<int>(got) : -1;
        }
        msgs[got].msg_len = static_cast<unsigned>(r);
    }
    return static_cast<int>(got);
}

unsigned send_batch(int fd, mmsghdr* msgs, unsigned n, int* first_errno) {
    *first_errno = 0;
    for (unsigned i = 0; i < n; ++i) {
        if (sendmsg(fd, &msgs[i].msg_hdr, MSG_DONTWAIT) < 0) {
            *first_errno = errno;
            return i;
        }
    }
    return n;
}

#else

int receive_batch(int fd, mmsghdr* msgs, unsigned n) {
    for (;;) {
        int r = recvmmsg(fd, msgs, n, MSG_DONTWAIT, nullptr);
        if (r >= 0) return r;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
    }
}

unsigned send_batch(int fd, mmsghdr* msgs, unsigned n, int* first_errno) {
    *first_errno = 0;
    unsigned sent = 0;
    while (sent < n) {
        int r = sendmmsg(fd, msgs + sent, n - sent, MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR) continue;
            *first_errno = errno;
            break;
        }
        if (r == 0) break;
        sent += static_cast<unsigned>(r);
    }
    return sent;
}

#endif

int open_server_socket(const sockaddr_storage& addr, socklen_t addr_len, const char** what) {
    int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *what = "socket";
        return -1;
    }
    int one = 1;
    auto fail = [&](const char* step) {
        int err = errno;
        close(fd);
        errno = err;
        *what = step;
        return -1;
    };
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        return fail("SO_REUSEPORT");
    // Without kernel timestamps the worker falls back to a clock read after receive.
    (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    // A bigger receive queue absorbs bursts between two batches; the kernel caps it at rmem_max.
    int rcvbuf = 1 << 20;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (addr.ss_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
        return fail("IPV6_V6ONLY");
    }
    if (is_wildcard(addr)) {
        bool ok = addr.ss_family == AF_INET
                      ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) == 0
                      : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) == 0;
        if (!ok) return fail("IP_PKTINFO");
    }
    if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), addr_len) != 0) return fail("bind");
    return fd;
}

bool is_wildcard(const sockaddr_storage& addr) {
    if (addr.ss_family == AF_INET) {
        return reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr.s_addr == htonl(INADDR_ANY);
    }
    if (addr.ss_family == AF_INET6) {
        const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr;
        return std::memcmp(&a, &in6addr_any, sizeof a) == 0;
    }
    return false;
}

}  // namespace ntplite::daemon
