#include "tools/loadgen/nts_ke.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>

#include "daemon/nts/tls_session.hpp"
#include "proto/nts/ke_record.hpp"
#include "sysutil/clock_read.hpp"

namespace ntplite::tools::loadgen {
namespace pn = proto::nts;
namespace {

constexpr int kTimeoutS = 5;
constexpr uint16_t kOfferedAeads[] = {pn::kAeadAesSivCmac256};

std::string ssl_error(const char* what) {
    char buf[256] = "";
    const unsigned long e = ERR_get_error();
    if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return std::string(what) + (buf[0] ? std::string(": ") + buf : std::string());
}

struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
};
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

}  // namespace

std::expected<NtsKeResult, std::string> nts_key_exchange(const sockaddr_storage& addr,
                                                         socklen_t addr_len,
                                                         const std::string& ca_file,
                                                         const std::string& name) {
    const int64_t t0 = sysutil::monotonic_ns();
    std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) return std::unexpected(ssl_error("SSL_CTX_new"));
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1)
        return std::unexpected(ssl_error(("cannot load CA file " + ca_file).c_str()));
    if (SSL_CTX_set_alpn_protos(ctx.get(), daemon::nts::kAlpnWire, sizeof daemon::nts::kAlpnWire) !=
        0)
        return std::unexpected(ssl_error("ALPN"));

    Fd sock;
    sock.fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock.fd < 0) return std::unexpected(std::string("socket: ") + std::strerror(errno));
    timeval tv{kTimeoutS, 0};
    setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(sock.fd, reinterpret_cast<const sockaddr*>(&addr), addr_len) != 0)
        return std::unexpected(std::string("NTS-KE connect: ") + std::strerror(errno));

    std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
    if (!ssl || SSL_set_fd(ssl.get(), sock.fd) != 1) return std::unexpected(ssl_error("SSL_new"));
    daemon::nts::set_peer_name(ssl.get(), name);
    if (SSL_connect(ssl.get()) != 1) {
        const long verify = SSL_get_verify_result(ssl.get());
        if (verify != X509_V_OK)
            return std::unexpected(std::string("certificate: ") +
                                   X509_verify_cert_error_string(verify));
        return std::unexpected(ssl_error("TLS handshake"));
    }
    if (!daemon::nts::alpn_is_ntske(ssl.get()))
        return std::unexpected("server did not select ALPN ntske/1");

    std::array<std::byte, pn::kKeMaxMessage> buf{};
    const std::size_t req = pn::write_request(buf, kOfferedAeads);
    if (req == 0 ||
        SSL_write(ssl.get(), buf.data(), static_cast<int>(req)) != static_cast<int>(req))
        return std::unexpected(ssl_error("NTS-KE request write"));

    std::size_t have = 0;
    std::size_t msg = 0;
    for (;;) {
        const auto len = pn::message_length(std::span<const std::byte>(buf).first(have));
        if (len) {
            msg = *len;
            break;
        }
        if (len.error() != pn::FramingError::kIncomplete)
            return std::unexpected(std::string("NTS-KE response: ") +
                                   std::string(pn::to_string(len.error())));
        if (have == buf.size()) return std::unexpected("NTS-KE response too long");
        const int n = SSL_read(ssl.get(), buf.data() + have, static_cast<int>(buf.size() - have));
        if (n <= 0) return std::unexpected(ssl_error("NTS-KE response read (closed or timeout)"));
        have += static_cast<std::size_t>(n);
    }
    auto response = std::make_unique<pn::KeResponse>();
    uint16_t code = 0;
    if (auto r = pn::parse_response(std::span<const std::byte>(buf).first(msg), kOfferedAeads,
                                    *response, &code);
        !r)
        return std::unexpected(
            std::string("NTS-KE response: ") + std::string(pn::to_string(r.error())) +
            (r.error() == pn::KeResponseError::kServerError ? " (code " + std::to_string(code) + ")"
                                                            : std::string()));

    NtsKeResult out;
    if (!daemon::nts::export_keys(ssl.get(), response->aead, out.creds.keys))
        return std::unexpected(ssl_error("key export"));
    for (std::size_t i = 0; i < response->cookie_count; ++i) {
        const auto c = std::span(response->cookies[i]).first(response->cookie_sizes[i]);
        out.creds.cookies.emplace_back(c.begin(), c.end());
    }
    out.ntp_server = std::string(response->server_name());
    out.port = response->port;
    SSL_shutdown(ssl.get());
    out.elapsed_ms = static_cast<double>(sysutil::monotonic_ns() - t0) / 1e6;
    return out;
}

}  // namespace ntplite::tools::loadgen
