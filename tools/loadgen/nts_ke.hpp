// ntp-loadgen's NTS-KE client (RFC 8915 section 4): one blocking exchange before the load, with
// the project's record codec (proto/nts/ke_record) over a plain OpenSSL TLS 1.3 connection (ALPN
// ntske/1, certificate checked against a given CA and name). Bounded: 5 s socket timeouts and
// kKeMaxMessage bytes. Only AEAD_AES_SIV_CMAC_256 is offered (what every server supports).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "tools/loadgen/nts_request.hpp"

namespace ntplite::tools::loadgen {

/// What the exchange negotiated.
struct NtsKeResult {
    NtsCredentials creds;
    std::string ntp_server;        ///< NTPv4 Server Negotiation record, "" = none
    std::optional<uint16_t> port;  ///< NTPv4 Port Negotiation record
    double elapsed_ms = 0;         ///< connect to key export, milliseconds
};

/// Run one NTS-KE exchange with the server at `addr`, verifying its certificate against the PEM
/// file `ca_file` for `name` (an IP literal is matched against the certificate's IP addresses).
std::expected<NtsKeResult, std::string> nts_key_exchange(const sockaddr_storage& addr,
                                                         socklen_t addr_len,
                                                         const std::string& ca_file,
                                                         const std::string& name);

}  // namespace ntplite::tools::loadgen
