#include "daemon/server/port_owner.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>

namespace ntplite::daemon {
namespace {

/// Hex digits -> value; false on anything else or more than 16 digits.
bool parse_hex(std::string_view s, uint64_t& out) {
    if (s.empty() || s.size() > 16) return false;
    out = 0;
    for (char c : s) {
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (d < 0) return false;
        out = out * 16 + static_cast<uint64_t>(d);
    }
    return true;
}

/// "0100007F:007B" (the kernel prints each 32-bit word of the address as stored, i.e. in host
/// order of a big-endian value) -> address and port.
bool parse_addr_port(std::string_view s, bool v6, config::IpAddress& addr, uint16_t& port) {
    const std::size_t colon = s.find(':');
    const std::size_t hex_len = v6 ? 32 : 8;
    if (colon != hex_len) return false;
    uint64_t p = 0;
    if (!parse_hex(s.substr(colon + 1), p) || p > 0xffff) return false;
    port = static_cast<uint16_t>(p);
    std::array<uint8_t, 16> bytes{};
    for (std::size_t w = 0; w < hex_len / 8; ++w) {
        uint64_t word = 0;
        if (!parse_hex(s.substr(w * 8, 8), word)) return false;
        uint32_t stored = static_cast<uint32_t>(word);
        std::memcpy(&bytes[w * 4], &stored, 4);  // the word's memory image = network order
    }
    if (v6) {
        addr = config::IpAddress::from_v6(bytes);
    } else {
        addr = config::IpAddress::from_v4({bytes[0], bytes[1], bytes[2], bytes[3]});
    }
    return true;
}

bool is_any(const config::IpAddress& a) {
    if (a.is_v4()) return a.v4() == std::array<uint8_t, 4>{0, 0, 0, 0};
    return a.bytes == std::array<uint8_t, 16>{};
}

/// pid owning socket `inode`, or 0.
pid_t find_owner(uint64_t inode) {
    DIR* proc = ::opendir("/proc");
    if (!proc) return 0;
    pid_t found = 0;
    while (dirent* d = ::readdir(proc)) {
        char* end = nullptr;
        long pid = std::strtol(d->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        if (socket_inodes_of(static_cast<pid_t>(pid)).count(inode) != 0) {
            found = static_cast<pid_t>(pid);
            break;
        }
    }
    ::closedir(proc);
    return found;
}

std::string comm_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

}  // namespace

std::set<uint64_t> socket_inodes_of(pid_t pid) {
    std::set<uint64_t> out;
    const std::string dir = pid == 0 ? "/proc/self/fd" : "/proc/" + std::to_string(pid) + "/fd";
    DIR* fds = ::opendir(dir.c_str());
    if (!fds) return out;
    char target[64];
    while (dirent* d = ::readdir(fds)) {
        if (d->d_name[0] == '.') continue;
        const std::string link = dir + "/" + d->d_name;
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        std::string_view t(target, static_cast<std::size_t>(n));
        if (t.starts_with("socket:[") && t.ends_with("]")) {
            out.insert(std::strtoull(std::string(t.substr(8, t.size() - 9)).c_str(), nullptr, 10));
        }
    }
    ::closedir(fds);
    return out;
}

bool parse_proc_udp_line(const std::string& line, bool v6, ProcUdpEntry& out) {
    // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid
    //  timeout inode ref pointer drops"
    std::vector<std::string_view> fields;
    std::string_view rest = line;
    while (!rest.empty() && fields.size() < 10) {
        std::size_t b = rest.find_first_not_of(' ');
        if (b == std::string_view::npos) break;
        rest.remove_prefix(b);
        std::size_t e = rest.find(' ');
        fields.push_back(rest.substr(0, e));
        rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e);
    }
    if (fields.size() < 10 || !fields[0].ends_with(":")) return false;
    config::IpAddress remote;
    uint16_t remote_port = 0;
    if (!parse_addr_port(fields[1], v6, out.local, out.local_port)) return false;
    if (!parse_addr_port(fields[2], v6, remote, remote_port)) return false;
    out.connected = remote_port != 0;
    char* end = nullptr;
    const std::string inode(fields[9]);
    out.inode = std::strtoull(inode.c_str(), &end, 10);
    return end && *end == '\0';
}

std::vector<PortUser> udp_port_users(const Endpoint& e, const std::set<uint64_t>& own_inodes) {
    std::vector<PortUser> users;
    const bool v6 = !e.address.is_v4();
    std::ifstream in(v6 ? "/proc/net/udp6" : "/proc/net/udp");
    std::string line;
    while (std::getline(in, line)) {
        ProcUdpEntry entry;
        if (!parse_proc_udp_line(line, v6, entry)) continue;
        if (entry.connected || entry.local_port != e.port || entry.inode == 0) continue;
        if (own_inodes.count(entry.inode) != 0) continue;
        if (!(entry.local == e.address || is_any(entry.local) || is_any(e.address))) continue;
        PortUser u;
        u.inode = entry.inode;
        u.pid = find_owner(entry.inode);
        if (u.pid != 0) u.comm = comm_of(u.pid);
        u.local = Endpoint{entry.local, entry.local_port, 0}.to_string();
        users.push_back(std::move(u));
    }
    return users;
}

std::string describe_port_users(const Endpoint& e, const std::vector<PortUser>& users) {
    std::string out = e.to_string() + " is in use by ";
    for (std::size_t i = 0; i < users.size(); ++i) {
        const PortUser& u = users[i];
        if (i != 0) out += ", ";
        if (u.pid != 0) {
            out += "pid " + std::to_string(u.pid) + " (" + u.comm + ")";
        } else {
            out += "another process (socket inode " + std::to_string(u.inode) +
                   "; run as root to see which)";
        }
        if (u.local != e.to_string()) out += " bound to " + u.local;
    }
    return out;
}

}  // namespace ntplite::daemon
