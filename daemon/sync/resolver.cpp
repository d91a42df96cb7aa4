#include "daemon/sync/resolver.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

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

#if defined(NTPLITE_SIMULATOR_COMPAT)

void Resolver::resolve(const std::string& host, uint16_t port, Handler handler) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* list = nullptr;
    int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
    std::vector<SourceAddress> out;
    std::string error;
    if (rc != 0) {
        error = ::gai_strerror(rc);
    } else {
        for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
            asio::ip::udp::endpoint ep;
            if (a->ai_addrlen > ep.capacity()) continue;
            std::memcpy(ep.data(), a->ai_addr, a->ai_addrlen);
            ep.resize(a->ai_addrlen);
            SourceAddress sa{to_ip(ep.address()), port};
            if (std::find(out.begin(), out.end(), sa) == out.end()) out.push_back(sa);
        }
        ::freeaddrinfo(list);
        if (out.empty()) error = "no addresses";
    }
    std::weak_ptr<uint64_t> token = generation_;
    asio::post(io_, [token, gen = *generation_, out = std::move(out), error = std::move(error),
                     handler = std::move(handler)]() mutable {
        auto live = token.lock();
        if (!live || *live != gen) return;  // cancelled or resolver gone
        handler(std::move(out), std::move(error));
    });
}

void Resolver::cancel() {
    ++*generation_;
}

#else

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

#endif

}  // namespace ntplite::daemon
