#include "daemon/nts/tls.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>

#include "proto/nts/crypto/nts_packet.hpp"
#include "proto/nts/ke_record.hpp"

namespace ntplite::daemon::nts {
namespace {

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, kAlpnWire, sizeof kAlpnWire, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;  // RFC 8915 4: no ntske/1, no session
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

std::string openssl_error() {
    const unsigned long e = ERR_get_error();
    if (e == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

void common_setup(SSL_CTX* ctx) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
}

}  // namespace

std::expected<std::unique_ptr<ssl::context>, std::string> make_server_context(
    const std::string& certificate, const std::string& private_key) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* c = ctx->native_handle();
    common_setup(c);
    if (SSL_CTX_use_certificate_chain_file(c, certificate.c_str()) != 1)
        return std::unexpected(fmt::format("certificate {}: {}", certificate, openssl_error()));
    if (SSL_CTX_use_PrivateKey_file(c, private_key.c_str(), SSL_FILETYPE_PEM) != 1)
        return std::unexpected(fmt::format("private key {}: {}", private_key, openssl_error()));
    if (SSL_CTX_check_private_key(c) != 1)
        return std::unexpected(
            fmt::format("private key {} does not match {}", private_key, certificate));
    SSL_CTX_set_alpn_select_cb(c, select_alpn, nullptr);
    return ctx;
}

std::expected<std::unique_ptr<ssl::context>, std::string> make_client_context(
    const std::string& trusted_ca) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX* c = ctx->native_handle();
    common_setup(c);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    const int ok = trusted_ca.empty()
                       ? SSL_CTX_set_default_verify_paths(c)
                       : SSL_CTX_load_verify_locations(c, trusted_ca.c_str(), nullptr);
    if (ok != 1)
        return std::unexpected(fmt::format("trusted CA {}: {}",
                                           trusted_ca.empty() ? "(system store)" : trusted_ca,
                                           openssl_error()));
    if (SSL_CTX_set_alpn_protos(c, kAlpnWire, sizeof kAlpnWire) != 0)
        return std::unexpected("ALPN: " + openssl_error());
    return ctx;
}

}  // namespace ntplite::daemon::nts
