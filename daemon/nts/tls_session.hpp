// The Asio-free half of NTS-KE over TLS (RFC 8915 section 4): ALPN "ntske/1", the name a
// client verifies the server's certificate against, and the key exporter. Header-only so
// ntp-loadgen's blocking key exchange uses these definitions without linking the daemon.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "proto/nts/crypto/cookie.hpp"
#include "proto/nts/crypto/nts_packet.hpp"
#include "proto/nts/ke_record.hpp"

namespace ntplite::daemon::nts {

/// ALPN wire format: length-prefixed protocol names.
inline constexpr unsigned char kAlpnWire[] = {7, 'n', 't', 's', 'k', 'e', '/', '1'};

/// Verify the server's certificate against `name`: an IP literal against its IP SANs, anything
/// else as a DNS name (also sent as SNI).
inline void set_peer_name(SSL* ssl, const std::string& name) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    in6_addr probe{};
    if (inet_pton(AF_INET, name.c_str(), &probe) == 1 ||
        inet_pton(AF_INET6, name.c_str(), &probe) == 1) {
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
        SSL_set_tlsext_host_name(ssl, name.c_str());
    }
}

/// The NTS keys of an established session (RFC 8915 5.1 exporter). False on exporter failure.
inline bool export_keys(SSL* ssl, uint16_t aead, proto::nts::SessionKeys& out) {
    const std::size_t ks = proto::nts::aead_key_size(aead);
    if (ks == 0) return false;
    out.aead = aead;
    const auto label = proto::nts::kKeExporterLabel;
    const auto c2s = proto::nts::exporter_context(aead, false);
    const auto s2c = proto::nts::exporter_context(aead, true);
    return SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.c2s.data()), ks,
                                      label.data(), label.size(),
                                      reinterpret_cast<const unsigned char*>(c2s.data()),
                                      c2s.size(), 1) == 1 &&
           SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.s2c.data()), ks,
                                      label.data(), label.size(),
                                      reinterpret_cast<const unsigned char*>(s2c.data()),
                                      s2c.size(), 1) == 1;
}

/// Whether the session negotiated ALPN ntske/1.
inline bool alpn_is_ntske(SSL* ssl) {
    const unsigned char* p = nullptr;
    unsigned int n = 0;
    SSL_get0_alpn_selected(ssl, &p, &n);
    return n == sizeof kAlpnWire - 1 && std::memcmp(p, kAlpnWire + 1, n) == 0;
}

}  // namespace ntplite::daemon::nts
