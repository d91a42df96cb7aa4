#include "daemon/resolver.hpp"

#include <algorithm>

namespace ntplite::daemon {

config::IpAddress to_ip(const asio::ip::address& a) {
    if (a.is_v4()) return config::IpAddress::from_v4(a.to_v4().to_bytes());
    // IPv4-mapped IPv6 bytes are already the config's IPv4 representation.
    return config::IpAddress::from_v6(a.to_v6().to_bytes());
}

asio::ip::udp::endpoint to_endpoint(const SourceAddress& a) {
    if (a.ip.is_v4()) return {asio::ip::address_v4(a.ip.v4()), a.port};
    return {asio::ip::address_v6(a.ip.bytes), a.port};
}

void Resolver::resolve(const std::string& host, uint16_t port, Handler handler) {
    resolver_.async_resolve(
        host, std::to_string(port), asio::ip::udp::resolver::numeric_service,
        [port, handler = std::move(handler)](const boost::system::error_code& ec,
                                             asio::ip::udp::resolver::results_type results) {
            if (ec == asio::error::operation_aborted) return;
            if (ec) {
                handler({}, ec.message());
                return;
            }
            std::vector<SourceAddress> out;
            for (const auto& r : results) {
                SourceAddress a{to_ip(r.endpoint().address()), port};
                if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
            }
            if (out.empty()) {
                handler({}, "no addresses");
                return;
            }
            handler(std::move(out), {});
        });
}

void Resolver::cancel() {
    resolver_.cancel();
}

}  // namespace ntplite::daemon
