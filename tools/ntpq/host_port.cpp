#include "tools/ntpq/host_port.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace ntplite::tools {
namespace {

// inet_pton is a pure libc parser; the zone ("%eth0") is not part of the address syntax.
bool is_ipv6_literal(std::string_view s) {
    auto pct = s.find('%');
    if (pct != std::string_view::npos && pct + 1 == s.size()) return false;  // empty zone
    std::string addr(s.substr(0, pct));
    in6_addr out{};
    return inet_pton(AF_INET6, addr.c_str(), &out) == 1;
}

// Host names and IPv4 literals: letters, digits, '-', '.', '_' (seen in real zones); the
// resolver judges the rest.
bool is_plausible_name(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::expected<uint16_t, std::string> parse_port(std::string_view s) {
    if (s.empty()) return std::unexpected(std::string("empty port after ':'"));
    unsigned value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || value == 0 || value > 65535) {
        return std::unexpected("bad port '" + std::string(s) + "' (expected 1..65535)");
    }
    return static_cast<uint16_t>(value);
}

}  // namespace

std::expected<HostPort, std::string> parse_host_port(std::string_view text, uint16_t default_port) {
    if (text.empty()) return std::unexpected(std::string("empty server name"));
    HostPort out;
    out.port = default_port;
    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) {
            return std::unexpected("missing ']' in '" + std::string(text) + "'");
        }
        std::string_view addr = text.substr(1, close - 1);
        if (!is_ipv6_literal(addr)) {
            return std::unexpected("'" + std::string(addr) + "' is not an IPv6 address");
        }
        out.host = std::string(addr);
        out.is_ipv6_literal = true;
        std::string_view rest = text.substr(close + 1);
        if (rest.empty()) return out;
        if (rest.front() != ':') {
            return std::unexpected("unexpected '" + std::string(rest) + "' after ']'");
        }
        auto port = parse_port(rest.substr(1));
        if (!port) return std::unexpected(port.error());
        out.port = *port;
        return out;
    }
    auto first_colon = text.find(':');
    if (first_colon != std::string_view::npos && text.find(':', first_colon + 1) != text.npos) {
        // Two or more colons and no brackets: only a bare IPv6 literal makes sense.
        if (!is_ipv6_literal(text)) {
            return std::unexpected("'" + std::string(text) +
                                   "' is not an IPv6 address (write [ADDR]:PORT for a port)");
        }
        out.host = std::string(text);
        out.is_ipv6_literal = true;
        return out;
    }
    std::string_view host = text.substr(0, first_colon);
    if (!is_plausible_name(host)) {
        return std::unexpected("'" + std::string(host) + "' is not a host name or address");
    }
    out.host = std::string(host);
    if (first_colon != std::string_view::npos) {
        auto port = parse_port(text.substr(first_colon + 1));
        if (!port) return std::unexpected(port.error());
        out.port = *port;
    }
    return out;
}

std::string to_string(const HostPort& hp) {
    std::string host = hp.is_ipv6_literal ? "[" + hp.host + "]" : hp.host;
    return host + ":" + std::to_string(hp.port);
}

}  // namespace ntplite::tools
