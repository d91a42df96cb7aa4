// AES-SIV's two primitives (S2V over AES-CMAC, AES-CTR) on the CPU's AES instructions (x86 AES-NI),
// for AesSiv's fast path. Through OpenSSL 3's EVP interface every re-key and every call pays for
// provider dispatch and parameter lookups by name, several times the cost of the AES rounds on the
// ~230-byte NTS packets; here a key schedule is a dozen instructions and a block ten. Used only
// when the CPU has the instructions (available()); AesSiv falls back to OpenSSL otherwise. Pure
// computation: no allocation, no system call, never throws. Key schedules live on the stack and
// are wiped before return.
#pragma once

#include <cstddef>
#include <span>

namespace ntplite::proto::nts::aesni {

/// Whether this build and this CPU can run the functions below.
bool available();

/// RFC 5297 S2V with AES-CMAC under `mac_key` (16 bytes: AES-128, 32: AES-256) over `headers`
/// then `plaintext`; writes the 16-byte synthetic IV to `v`. Requires available() and a key of
/// one of those sizes.
void s2v(std::span<const std::byte> mac_key, std::span<const std::span<const std::byte>> headers,
         std::span<const std::byte> plaintext, std::byte (&v)[16]);

/// RFC 5297 AES-CTR under `key` (16 or 32 bytes) with the counter started from `v` (bits 31 and
/// 63 cleared here): `out` = `in` xor keystream; same sizes, may be the same buffer.
void ctr(std::span<const std::byte> key, const std::byte (&v)[16], std::span<const std::byte> in,
         std::span<std::byte> out);

}  // namespace ntplite::proto::nts::aesni
