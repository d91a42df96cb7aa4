#include "tools/loadgen/options.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <charconv>
#include <cstring>

namespace ntplite::tools::loadgen {

std::expected<void, std::string> parse_loopback_target(std::string_view text, sockaddr_storage& out,
                                                       socklen_t& out_len) {
    std::string host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::unexpected("target must be ADDR:PORT or [V6ADDR]:PORT: " +
                                   std::string(text));
        host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            return std::unexpected("target must be ADDR:PORT or [V6ADDR]:PORT: " +
                                   std::string(text));
        host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    }
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
        return std::unexpected("bad port in target: " + std::string(text));

    std::memset(&out, 0, sizeof out);
    in_addr a4{};
    in6_addr a6{};
    if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
        if ((ntohl(a4.s_addr) >> 24) != 127)
            return std::unexpected("refusing non-loopback target " + host +
                                   " (only 127.0.0.0/8 and ::1 are allowed)");
        auto* sin = reinterpret_cast<sockaddr_in*>(&out);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(static_cast<uint16_t>(port));
        sin->sin_addr = a4;
        out_len = sizeof(sockaddr_in);
        return {};
    }
    if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&a6))
            return std::unexpected("refusing non-loopback target " + host +
                                   " (only 127.0.0.0/8 and ::1 are allowed)");
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(static_cast<uint16_t>(port));
        sin6->sin6_addr = a6;
        out_len = sizeof(sockaddr_in6);
        return {};
    }
    return std::unexpected("target address must be numeric (127.0.0.0/8 or ::1): " + host);
}

std::expected<void, std::string> validate(const Options& o) {
    if (!(o.duration_s > 0.0) || o.duration_s > kMaxDurationS)
        return std::unexpected("--duration must be in (0, 20] seconds; refusing a longer run");
    if (!(o.rate_per_s >= 0.0) || o.rate_per_s > 50e6)
        return std::unexpected("--rate must be in [0, 5e7] requests/s (0 = max)");
    if (o.threads < 1 || o.threads > 16) return std::unexpected("--threads must be in 1..16");
    if (o.sockets < o.threads || o.sockets > 4096)
        return std::unexpected("--sockets must be in threads..4096");
    if (o.batch < 1 || o.batch > 1024) return std::unexpected("--batch must be in 1..1024");
    if (o.window > (1u << 20)) return std::unexpected("--window must be <= 1048576");
    if (o.timeout_ms < 1 || o.timeout_ms > 5000)
        return std::unexpected("--timeout-ms must be in 1..5000");
    if (o.gso && o.batch > 64)
        return std::unexpected("--gso needs --batch <= 64 (the kernel's segment limit)");
    if (o.drain_ms > 5000) return std::unexpected("--drain-ms must be <= 5000");
    if (o.ntp_version < 1 || o.ntp_version > 4)
        return std::unexpected("--ntp-version must be in 1..4");
    if (o.source_addrs < 1 || o.source_addrs > 254)
        return std::unexpected("--source-addrs must be in 1..254");
    if (o.source_addrs > 1 && o.target.ss_family != AF_INET)
        return std::unexpected("--source-addrs > 1 needs an IPv4 target");
    if (o.spoof_sources > 0) {
        if (o.spoof_sources > kMaxSpoofSources)
            return std::unexpected("--spoof-sources must be in 1..16711679");
        if (o.target.ss_family != AF_INET)
            return std::unexpected("--spoof-sources needs an IPv4 target");
        if (o.gso)
            return std::unexpected("--spoof-sources sends one source per datagram: no --gso");
        if (o.source_addrs > 1)
            return std::unexpected("--spoof-sources and --source-addrs exclude each other");
    }
    if (o.nts_placeholders > 7) return std::unexpected("--nts-placeholders must be in 0..7");
    if (o.nts_verify_every < 1) return std::unexpected("--nts-verify-every must be >= 1");
    if (!o.nts_ke_text.empty() && o.nts_ca.empty())
        return std::unexpected("--nts-ke needs --nts-ca (the CA of the server's certificate)");
    if (!o.nts_ke_text.empty() && o.spoof_sources > 0)
        return std::unexpected("--nts-ke and --spoof-sources exclude each other");
    for (int c : o.cpus)
        if (c < 0 || c >= 1024) return std::unexpected("--cpu values must be in 0..1023");
    return {};
}

bool only_loopback_interfaces_up() {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return false;
    bool only_lo = true;
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next)
        if ((i->ifa_flags & IFF_UP) && !(i->ifa_flags & IFF_LOOPBACK)) only_lo = false;
    freeifaddrs(list);
    return only_lo;
}

}  // namespace ntplite::tools::loadgen
