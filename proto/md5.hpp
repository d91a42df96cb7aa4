// A small MD5 (RFC 1321), only for the IPv6 refid hash of RFC 5905 section 7.3. Not for security:
// it exists so proto/ stays free of OpenSSL. Pure, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ntplite::proto {

/// MD5 digest of `data` (16 bytes, in the byte order RFC 1321 prints them).
std::array<uint8_t, 16> md5(std::span<const std::byte> data);

}  // namespace ntplite::proto
