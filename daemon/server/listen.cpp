#include "daemon/server/listen.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <cstring>

namespace ntplite::daemon {

socklen_t Endpoint::to_sockaddr(sockaddr_storage& out) const {
    std::memset(&out, 0, sizeof out);
    if (address.is_v4()) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&out);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        std::memcpy(&sin->sin_addr, address.bytes.data() + 12, 4);
        return sizeof(sockaddr_in);
    }
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_scope_id = scope_id;
    std::memcpy(&sin6->sin6_addr, address.bytes.data(), 16);
    return sizeof(sockaddr_in6);
}

std::string Endpoint::to_string() const {
    if (address.is_v4()) return address.to_string() + ":" + std::to_string(port);
    std::string host = address.to_string();
    if (scope_id != 0) host += "%" + std::to_string(scope_id);
    return "[" + host + "]:" + std::to_string(port);
}

config::IpAddress ip_from_sockaddr(const sockaddr_storage& sa) {
    if (sa.ss_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&sa);
        std::array<uint8_t, 4> v4{};
        std::memcpy(v4.data(), &sin->sin_addr, 4);
        return config::IpAddress::from_v4(v4);
    }
    config::IpAddress a;
    if (sa.ss_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&sa);
        std::memcpy(a.bytes.data(), &sin6->sin6_addr, 16);
    }
    return a;
}

std::expected<std::vector<Endpoint>, std::string> resolve_listen(const config::ListenSpec& spec) {
    if (spec.kind == config::ListenSpec::Kind::kAddress) {
        return std::vector<Endpoint>{Endpoint{spec.address, spec.port, 0}};
    }
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) {
        return std::unexpected(std::string("getifaddrs: ") + std::strerror(errno));
    }
    std::vector<Endpoint> out;
    bool found = false;
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_name || spec.interface != i->ifa_name) continue;
        found = true;
        if (!i->ifa_addr) continue;
        int family = i->ifa_addr->sa_family;
        if (family != AF_INET && family != AF_INET6) continue;
        sockaddr_storage ss{};
        std::memcpy(&ss, i->ifa_addr,
                    family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
        Endpoint e{ip_from_sockaddr(ss), spec.port, 0};
        if (family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
            if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) e.scope_id = sin6->sin6_scope_id;
        }
        out.push_back(e);
    }
    freeifaddrs(list);
    if (!found) return std::unexpected("no network interface named \"" + spec.interface + "\"");
    if (out.empty())
        return std::unexpected("interface \"" + spec.interface + "\" has no IP address");
    return out;
}

}  // namespace ntplite::daemon
