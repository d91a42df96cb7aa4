#include "config/net.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>
#include <cstring>

#include "config/text.hpp"

namespace ntplite::config {

namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::expected<uint16_t, std::string> parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value == 0 ||
        value > 65535) {
        return std::unexpected("invalid port " + quoted(text) + " (expected 1..65535)");
    }
    return static_cast<uint16_t>(value);
}

bool valid_interface_name(std::string_view name) {
    if (name.empty() || name.size() >= IFNAMSIZ) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.' || c == '@';
        if (!ok) return false;
    }
    // "1.2.3" or "300.1.1.1" look like mistyped addresses, not interface names.
    bool digits_and_dots = true;
    for (char c : name) digits_and_dots = digits_and_dots && ((c >= '0' && c <= '9') || c == '.');
    return !digits_and_dots;
}

}  // namespace

IpAddress IpAddress::from_v4(std::array<uint8_t, 4> a) {
    IpAddress out;
    std::memcpy(out.bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
    std::memcpy(out.bytes.data() + 12, a.data(), 4);
    return out;
}

bool IpAddress::is_v4() const {
    return std::memcmp(bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0;
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (is_v4()) {
        inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    }
    return buf;
}

std::expected<IpAddress, std::string> parse_ip(std::string_view text) {
    // inet_pton wants a NUL-terminated string: an embedded NUL would silently cut the text
    // ("1.2.3.4\0junk" read as 1.2.3.4), and no address literal is longer than 45 characters.
    if (text.size() > kMaxAddressText || text.find('\0') != std::string_view::npos)
        return std::unexpected("invalid IP address " + quoted(text));
    std::string s(text);
    std::array<uint8_t, 4> v4{};
    if (inet_pton(AF_INET, s.c_str(), v4.data()) == 1) return IpAddress::from_v4(v4);
    std::array<uint8_t, 16> v6{};
    if (inet_pton(AF_INET6, s.c_str(), v6.data()) == 1) return IpAddress::from_v6(v6);
    return std::unexpected("invalid IP address " + quoted(text));
}

bool CidrPrefix::contains(const IpAddress& addr) const {
    if (addr.is_v4() != v4) return false;
    unsigned full_bytes = length_bits / 8;
    if (std::memcmp(addr.bytes.data(), network.bytes.data(), full_bytes) != 0) return false;
    unsigned rest_bits = length_bits % 8;
    if (rest_bits == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest_bits));
    return (addr.bytes[full_bytes] & mask) == network.bytes[full_bytes];
}

std::string CidrPrefix::to_string() const {
    return network.to_string() + "/" + std::to_string(v4 ? length_bits - 96 : length_bits);
}

std::expected<CidrPrefix, std::string> parse_cidr(std::string_view text) {
    auto slash = text.find('/');
    auto addr = parse_ip(text.substr(0, slash));
    if (!addr) return std::unexpected(addr.error());
    CidrPrefix p;
    p.network = *addr;
    p.v4 = addr->is_v4();
    // An IPv4 literal's length counts from bit 96 of the mapped space.
    bool written_as_v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    unsigned max_len = written_as_v4 ? 32 : 128;
    unsigned len = max_len;
    if (slash != std::string_view::npos) {
        auto len_text = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
        if (len_text.empty() || ec != std::errc{} || end != len_text.data() + len_text.size() ||
            len > max_len) {
            return std::unexpected("invalid prefix length in " + quoted(text) + " (expected 0.." +
                                   std::to_string(max_len) + ")");
        }
    }
    unsigned mapped_len = written_as_v4 ? len + 96 : len;
    if (!written_as_v4 && p.v4 && mapped_len < 96) {
        return std::unexpected("prefix " + quoted(text) +
                               " mixes IPv4-mapped and IPv6 addresses (use a length >= 96)");
    }
    p.length_bits = static_cast<uint8_t>(mapped_len);
    // Host bits set beyond the prefix are almost always a typo ("10.1.2.3/8").
    CidrPrefix check = p;
    for (unsigned i = 0; i < 16; ++i) {
        unsigned bit0 = i * 8;
        uint8_t mask = bit0 + 8 <= mapped_len ? 0xff
                       : bit0 >= mapped_len
                           ? 0x00
                           : static_cast<uint8_t>(0xff << (8 - (mapped_len - bit0)));
        check.network.bytes[i] = p.network.bytes[i] & mask;
    }
    if (!(check.network == p.network)) {
        return std::unexpected("prefix " + quoted(text) + " has host bits set (did you mean " +
                               check.to_string() + "?)");
    }
    return p;
}

std::string ListenSpec::to_string() const {
    // Appended, not "[" + s + "]": g++ 12 at -O3 reports a false -Wrestrict in the inlined
    // operator+ (GCC PR 105329).
    std::string out;
    if (kind == Kind::kInterface) {
        out = interface;
    } else if (address.is_v4()) {
        out = address.to_string();
    } else {
        out += '[';
        out += address.to_string();
        out += ']';
    }
    out += ':';
    out += std::to_string(port);
    return out;
}

std::expected<ListenSpec, std::string> parse_listen(std::string_view text) {
    auto hp = parse_host_port(text);
    if (!hp) return std::unexpected(hp.error());
    ListenSpec spec;
    spec.port = hp->port;
    if (auto ip = parse_ip(hp->host)) {
        spec.kind = ListenSpec::Kind::kAddress;
        spec.address = *ip;
        return spec;
    }
    if (!valid_interface_name(hp->host)) {
        std::string msg = quoted(text);  // appended: see ListenSpec::to_string (GCC PR 105329)
        msg += " is neither an IP address nor an interface name";
        return std::unexpected(std::move(msg));
    }
    spec.kind = ListenSpec::Kind::kInterface;
    spec.interface = hp->host;
    return spec;
}

std::expected<HostPort, std::string> parse_host_port(std::string_view text) {
    HostPort out;
    if (text.empty()) return std::unexpected(std::string("empty address"));
    // Host names go to the resolver as C strings: control characters (NUL above all) would cut
    // or corrupt them, and DNS names are at most 253 characters.
    if (text.size() > kMaxHostPortText)
        return std::unexpected("address " + quoted(text) + " is too long");
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f)
            return std::unexpected("address " + quoted(text) +
                                   " contains a control character or space");
    }
    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) {
            return std::unexpected("missing ']' in " + quoted(text));
        }
        out.host = std::string(text.substr(1, close - 1));
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return std::unexpected("expected ':PORT' after ']' in " + quoted(text));
            }
            auto port = parse_port(rest.substr(1));
            if (!port) return std::unexpected(port.error());
            out.port = *port;
        }
        if (!parse_ip(out.host) || parse_ip(out.host)->is_v4()) {
            return std::unexpected(quoted(out.host) + " in brackets is not an IPv6 address");
        }
        return out;
    }
    auto first_colon = text.find(':');
    if (first_colon != std::string_view::npos &&
        text.find(':', first_colon + 1) != std::string_view::npos) {
        // Several colons and no brackets: a bare IPv6 address, default port.
        out.host = std::string(text);
        if (!parse_ip(out.host)) {
            return std::unexpected("invalid IPv6 address " + quoted(out.host) +
                                   " (write \"[V6ADDR]:PORT\" to give a port)");
        }
        return out;
    }
    out.host = std::string(text.substr(0, first_colon));
    if (out.host.empty()) return std::unexpected("missing host in " + quoted(text));
    if (first_colon != std::string_view::npos) {
        auto port = parse_port(text.substr(first_colon + 1));
        if (!port) return std::unexpected(port.error());
        out.port = *port;
    }
    return out;
}

}  // namespace ntplite::config
