// TLS contexts for NTS-KE (RFC 8915 section 3/4): TLS 1.3 only, ALPN "ntske/1", no session
// tickets (NTS-KE needs no resumption). Errors come back as messages, never exceptions.
#pragma once

#include <array>
#include <expected>
#include <memory>
#include <string>

#include <boost/asio/ssl.hpp>

#include "daemon/common/asio.hpp"
#include "daemon/nts/tls_session.hpp"
#include "proto/nts/crypto/cookie.hpp"

namespace ntplite::daemon::nts {

namespace ssl = boost::asio::ssl;

/// Server context with the certificate chain and key (PEM files).
std::expected<std::unique_ptr<ssl::context>, std::string> make_server_context(
    const std::string& certificate, const std::string& private_key);
/// Client context verifying servers against `trusted_ca` (a PEM bundle) or, when empty, the
/// system CA store.
std::expected<std::unique_ptr<ssl::context>, std::string> make_client_context(
    const std::string& trusted_ca);

}  // namespace ntplite::daemon::nts
