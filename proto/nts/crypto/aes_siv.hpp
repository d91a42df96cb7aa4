// AES-SIV (RFC 5297) as the NTS AEAD: AEAD_AES_SIV_CMAC_256 (id 15, 32-byte key) and
// AEAD_AES_SIV_CMAC_512 (id 17, 64-byte key), built from OpenSSL 3's AES-CMAC and AES-CTR.
// OpenSSL's own "AES-128-SIV" cannot produce or check the tag of an empty plaintext (its update
// skips zero-length input), and an NTS client's authenticator usually encrypts nothing, so S2V is
// done here. The RFC 5116 interface is used as RFC 8915 does: S2V over (associated data, nonce,
// plaintext); the output is the 16-byte synthetic IV followed by the ciphertext.
//
// Two backends compute the same function: on CPUs with AES instructions (x86 AES-NI) S2V and CTR
// run on them directly (aes_ni.hpp: no OpenSSL call per packet, whose EVP re-keying and parameter
// lookups cost several times the AES work); elsewhere they run on OpenSSL's AES-CBC and AES-CTR.
// One object holds preallocated OpenSSL contexts: make one per thread (not thread-safe); seal and
// open allocate nothing on the heap after construction, and never throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

struct evp_cipher_st;
struct evp_cipher_ctx_st;

namespace ntplite::proto::nts {

/// Key bytes of an AEAD id, 0 when we do not implement it.
std::size_t aead_key_size(uint16_t aead_id);

/// Which implementation of the AES primitives an AesSiv uses.
enum class AesSivBackend : uint8_t {
    kAuto,     ///< the CPU's AES instructions when present, else OpenSSL
    kOpenSsl,  ///< always OpenSSL's EVP ciphers (tests compare the two)
};

class AesSiv {
  public:
    explicit AesSiv(AesSivBackend backend = AesSivBackend::kAuto);
    ~AesSiv();
    AesSiv(const AesSiv&) = delete;
    AesSiv& operator=(const AesSiv&) = delete;

    /// False when OpenSSL could not provide CMAC or CTR (then seal/open always fail).
    bool ok() const { return ok_; }
    /// True when seal/open run on the CPU's AES instructions rather than OpenSSL's EVP.
    bool accelerated() const { return aesni_; }

    /// Encrypt: `out` receives tag || ciphertext and must be exactly plaintext.size() + 16 bytes.
    /// `key` must be aead_key_size(aead_id) bytes. False on a size mismatch or OpenSSL failure.
    bool seal(uint16_t aead_id, std::span<const std::byte> key, std::span<const std::byte> ad,
              std::span<const std::byte> nonce, std::span<const std::byte> plaintext,
              std::span<std::byte> out);

    /// Decrypt and verify: `plaintext` must be exactly sealed.size() - 16 bytes. False when the
    /// tag does not match (then `plaintext` is zeroed) or on a size mismatch.
    bool open(uint16_t aead_id, std::span<const std::byte> key, std::span<const std::byte> ad,
              std::span<const std::byte> nonce, std::span<const std::byte> sealed,
              std::span<std::byte> plaintext);

    /// RFC 5297 SIV over any header vector (the RFC's test vectors use more than two); seal()
    /// and open() are these with headers {ad, nonce}.
    bool seal_headers(uint16_t aead_id, std::span<const std::byte> key,
                      std::span<const std::span<const std::byte>> headers,
                      std::span<const std::byte> plaintext, std::span<std::byte> out);
    bool open_headers(uint16_t aead_id, std::span<const std::byte> key,
                      std::span<const std::span<const std::byte>> headers,
                      std::span<const std::byte> sealed, std::span<std::byte> plaintext);

  private:
    bool s2v(std::span<const std::byte> mac_key, bool wide,
             std::span<const std::span<const std::byte>> headers,
             std::span<const std::byte> plaintext, std::byte (&v)[16]);
    bool cmac_key(std::span<const std::byte> key, bool wide);
    bool cmac(std::span<const std::byte> data, std::byte (&out)[16]);
    bool ctr(std::span<const std::byte> key, bool wide, const std::byte (&v)[16],
             std::span<const std::byte> in, std::span<std::byte> out);

    // CMAC (RFC 4493) is CBC-MAC over AES-CBC with the subkeys k1_/k2_ on the last block: one
    // EVP call per block run instead of OpenSSL's EVP_MAC (its per-call dispatch doubled the cost
    // of an NTS response).
    evp_cipher_st* cbc128_ = nullptr;
    evp_cipher_st* cbc256_ = nullptr;
    evp_cipher_ctx_st* cbc_ctx_ = nullptr;
    std::byte k1_[16]{}, k2_[16]{};
    std::byte scratch_[2048]{};  ///< CBC output nobody reads; the xorend copy of a plaintext
    evp_cipher_st* ctr128_ = nullptr;
    evp_cipher_st* ctr256_ = nullptr;
    evp_cipher_ctx_st* cipher_ctx_ = nullptr;
    bool ok_ = false;
    bool aesni_ = false;
};

}  // namespace ntplite::proto::nts
