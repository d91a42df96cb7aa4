// Who else holds a UDP port: /proc/net/udp{,6} for the bound sockets, /proc/PID/fd for their
// owners. Lets the daemon refuse a port another process uses (SO_REUSEPORT would otherwise let
// both bind and split the clients between them) with one line naming that process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "daemon/server/listen.hpp"

namespace ntplite::daemon {

/// One unconnected UDP socket bound to a conflicting local address.
struct PortUser {
    uint64_t inode = 0;
    pid_t pid = 0;      ///< 0 = not found (another user's process and we are not root)
    std::string comm;   ///< /proc/PID/comm, "" when pid is 0
    std::string local;  ///< its local address as bound, "0.0.0.0:123"
};

/// Socket inodes of the descriptors of process `pid` (0 = this process).
std::set<uint64_t> socket_inodes_of(pid_t pid);

/// Unconnected UDP sockets, other than `own_inodes`, whose local port is `e`'s and whose
/// address is `e`'s or a wildcard of its family (or `e` is a wildcard). Pure reading of /proc.
std::vector<PortUser> udp_port_users(const Endpoint& e, const std::set<uint64_t>& own_inodes);

/// "127.0.0.2:123 is in use by pid 1234 (chronyd)" (several: "... by pid 1 (a), pid 2 (b)").
std::string describe_port_users(const Endpoint& e, const std::vector<PortUser>& users);

/// Parses one line of /proc/net/udp or /proc/net/udp6 (the header line gives nullopt-like
/// false). Exposed for tests. `v6` selects the address width.
struct ProcUdpEntry {
    config::IpAddress local;
    uint16_t local_port = 0;
    bool connected = false;  ///< remote port non-zero
    uint64_t inode = 0;
};
bool parse_proc_udp_line(const std::string& line, bool v6, ProcUdpEntry& out);

}  // namespace ntplite::daemon
