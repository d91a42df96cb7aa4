#include "proto/nts/crypto/aes_siv.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

#include "proto/nts/crypto/aes_ni.hpp"
#include "proto/nts/ke_record.hpp"

namespace ntplite::proto::nts {
namespace {

constexpr std::size_t kBlock = 16;

// Multiplication by x in GF(2^128) (RFC 5297 section 2.3 "dbl").
void dbl(std::byte (&d)[16]) {
    const bool carry = (std::to_integer<unsigned>(d[0]) & 0x80) != 0;
    for (std::size_t i = 0; i < kBlock; ++i) {
        const unsigned next = i + 1 < kBlock ? std::to_integer<unsigned>(d[i + 1]) >> 7 : 0;
        d[i] = std::byte(((std::to_integer<unsigned>(d[i]) << 1) | next) & 0xFF);
    }
    if (carry) d[kBlock - 1] ^= std::byte{0x87};
}

void xor_into(std::byte (&d)[16], const std::byte (&s)[16]) {
    for (std::size_t i = 0; i < kBlock; ++i) d[i] ^= s[i];
}

}  // namespace

std::size_t aead_key_size(uint16_t aead_id) {
    switch (aead_id) {
        case kAeadAesSivCmac256:
            return 32;
        case kAeadAesSivCmac512:
            return 64;
        default:
            return 0;
    }
}

AesSiv::AesSiv(AesSivBackend backend) {
    cbc128_ = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
    cbc256_ = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
    cbc_ctx_ = EVP_CIPHER_CTX_new();
    ctr128_ = EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr);
    ctr256_ = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
    cipher_ctx_ = EVP_CIPHER_CTX_new();
    ok_ = cbc128_ && cbc256_ && cbc_ctx_ && ctr128_ && ctr256_ && cipher_ctx_;
    aesni_ = ok_ && backend == AesSivBackend::kAuto && aesni::available();
}

AesSiv::~AesSiv() {
    EVP_CIPHER_CTX_free(cipher_ctx_);
    EVP_CIPHER_free(ctr256_);
    EVP_CIPHER_free(ctr128_);
    EVP_CIPHER_CTX_free(cbc_ctx_);
    EVP_CIPHER_free(cbc256_);
    EVP_CIPHER_free(cbc128_);
    OPENSSL_cleanse(k1_, sizeof k1_);
    OPENSSL_cleanse(k2_, sizeof k2_);
}

bool AesSiv::cmac_key(std::span<const std::byte> key, bool wide) {
    static constexpr unsigned char kZero[16] = {};
    int len = 0;
    std::byte l[16];
    if (EVP_CipherInit_ex2(cbc_ctx_, wide ? cbc256_ : cbc128_,
                           reinterpret_cast<const unsigned char*>(key.data()), kZero, 1,
                           nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(cbc_ctx_, 0) != 1 ||
        EVP_CipherUpdate(cbc_ctx_, reinterpret_cast<unsigned char*>(l), &len, kZero, 16) != 1 ||
        len != 16)
        return false;
    // RFC 4493 2.3: K1 = dbl(AES(0)), K2 = dbl(K1).
    std::memcpy(k1_, l, 16);
    dbl(k1_);
    std::memcpy(k2_, k1_, 16);
    dbl(k2_);
    OPENSSL_cleanse(l, sizeof l);
    return true;
}

bool AesSiv::cmac(std::span<const std::byte> data, std::byte (&out)[16]) {
    static constexpr unsigned char kZero[16] = {};
    // Restart the chain (same key): IV = 0.
    if (EVP_CipherInit_ex2(cbc_ctx_, nullptr, nullptr, kZero, 1, nullptr) != 1) return false;
    const std::size_t head = data.empty() ? 0 : (data.size() - 1) / kBlock * kBlock;
    int len = 0;
    for (std::size_t at = 0; at < head;) {
        const std::size_t n = std::min(head - at, sizeof scratch_);
        if (EVP_CipherUpdate(cbc_ctx_, reinterpret_cast<unsigned char*>(scratch_), &len,
                             reinterpret_cast<const unsigned char*>(data.data() + at),
                             static_cast<int>(n)) != 1)
            return false;
        at += n;
    }
    std::byte last[16]{};
    const std::size_t rest = data.size() - head;  // 1..16, or 0 for an empty message
    if (rest != 0) std::memcpy(last, data.data() + head, rest);
    if (rest == kBlock) {
        xor_into(last, k1_);
    } else {
        last[rest] = std::byte{0x80};
        xor_into(last, k2_);
    }
    const bool ok = EVP_CipherUpdate(cbc_ctx_, reinterpret_cast<unsigned char*>(out), &len,
                                     reinterpret_cast<const unsigned char*>(last), 16) == 1 &&
                    len == 16;
    OPENSSL_cleanse(last, sizeof last);
    return ok;
}

bool AesSiv::s2v(std::span<const std::byte> mac_key, bool wide,
                 std::span<const std::span<const std::byte>> headers,
                 std::span<const std::byte> plaintext, std::byte (&v)[16]) {
    // Both backends refuse what does not fit scratch_ (the OpenSSL path's xorend copy), so they
    // agree on every input.
    if (plaintext.size() >= kBlock && plaintext.size() > sizeof scratch_) return false;
    if (aesni_) {
        aesni::s2v(mac_key, headers, plaintext, v);
        return true;
    }
    if (!cmac_key(mac_key, wide)) return false;
    std::byte d[16]{}, t[16];
    const std::byte zero[16]{};
    if (!cmac(zero, d)) return false;
    for (auto component : headers) {
        dbl(d);
        if (!cmac(component, t)) return false;
        xor_into(d, t);
    }
    if (plaintext.size() >= kBlock) {
        // T = Sn xorend D: the plaintext with D xored into its last block.
        if (plaintext.size() > sizeof scratch_) return false;
        std::byte* t_buf = scratch_;
        std::memcpy(t_buf, plaintext.data(), plaintext.size());
        for (std::size_t i = 0; i < kBlock; ++i) t_buf[plaintext.size() - kBlock + i] ^= d[i];
        // cmac() overwrites scratch_ only with whole blocks before the last one it reads, and
        // reads each input block before writing its output block: in place is fine.
        const bool ok = cmac(std::span<const std::byte>(t_buf, plaintext.size()), v);
        OPENSSL_cleanse(scratch_, plaintext.size());
        return ok;
    }
    // T = dbl(D) xor pad(Sn): Sn followed by 0x80 and zeros.
    dbl(d);
    std::byte padded[16]{};
    if (!plaintext.empty()) std::memcpy(padded, plaintext.data(), plaintext.size());
    padded[plaintext.size()] = std::byte{0x80};
    xor_into(d, padded);
    OPENSSL_cleanse(padded, sizeof padded);
    return cmac(d, v);
}

bool AesSiv::ctr(std::span<const std::byte> key, bool wide, const std::byte (&v)[16],
                 std::span<const std::byte> in, std::span<std::byte> out) {
    if (in.empty()) return true;
    if (aesni_) {
        aesni::ctr(key, v, in, out);
        return true;
    }
    std::byte q[16];
    std::memcpy(q, v, kBlock);
    // Clear the 31st and 63rd bits (from the right) so CTR implementations without a full
    // 128-bit carry agree (RFC 5297 section 2.6).
    q[8] &= std::byte{0x7F};
    q[12] &= std::byte{0x7F};
    int len = 0, fin = 0;
    return EVP_CipherInit_ex2(cipher_ctx_, wide ? ctr256_ : ctr128_,
                              reinterpret_cast<const unsigned char*>(key.data()),
                              reinterpret_cast<const unsigned char*>(q), 1, nullptr) == 1 &&
           EVP_CipherUpdate(cipher_ctx_, reinterpret_cast<unsigned char*>(out.data()), &len,
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size())) == 1 &&
           EVP_CipherFinal_ex(cipher_ctx_, reinterpret_cast<unsigned char*>(out.data()) + len,
                              &fin) == 1 &&
           std::size_t(len + fin) == in.size();
}

bool AesSiv::seal(uint16_t aead_id, std::span<const std::byte> key, std::span<const std::byte> ad,
                  std::span<const std::byte> nonce, std::span<const std::byte> plaintext,
                  std::span<std::byte> out) {
    const std::span<const std::byte> headers[] = {ad, nonce};
    return seal_headers(aead_id, key, headers, plaintext, out);
}

bool AesSiv::open(uint16_t aead_id, std::span<const std::byte> key, std::span<const std::byte> ad,
                  std::span<const std::byte> nonce, std::span<const std::byte> sealed,
                  std::span<std::byte> plaintext) {
    const std::span<const std::byte> headers[] = {ad, nonce};
    return open_headers(aead_id, key, headers, sealed, plaintext);
}

bool AesSiv::seal_headers(uint16_t aead_id, std::span<const std::byte> key,
                          std::span<const std::span<const std::byte>> headers,
                          std::span<const std::byte> plaintext, std::span<std::byte> out) {
    const std::size_t ks = aead_key_size(aead_id);
    if (!ok_ || ks == 0 || key.size() != ks || out.size() != plaintext.size() + kBlock ||
        plaintext.size() > 0xFFFF)
        return false;
    const bool wide = ks == 64;
    std::byte v[16];
    if (headers.size() > 126 || !s2v(key.first(ks / 2), wide, headers, plaintext, v)) return false;
    // Ciphertext first (the plaintext may not overlap `out`), then the tag in front.
    if (!ctr(key.subspan(ks / 2), wide, v, plaintext, out.subspan(kBlock))) return false;
    std::memcpy(out.data(), v, kBlock);
    return true;
}

bool AesSiv::open_headers(uint16_t aead_id, std::span<const std::byte> key,
                          std::span<const std::span<const std::byte>> headers,
                          std::span<const std::byte> sealed, std::span<std::byte> plaintext) {
    const std::size_t ks = aead_key_size(aead_id);
    if (!ok_ || ks == 0 || key.size() != ks || sealed.size() < kBlock ||
        plaintext.size() != sealed.size() - kBlock)
        return false;
    const bool wide = ks == 64;
    std::byte v[16], check[16];
    std::memcpy(v, sealed.data(), kBlock);
    if (!ctr(key.subspan(ks / 2), wide, v, sealed.subspan(kBlock), plaintext) ||
        headers.size() > 126 || !s2v(key.first(ks / 2), wide, headers, plaintext, check) ||
        CRYPTO_memcmp(v, check, kBlock) != 0) {
        if (!plaintext.empty()) OPENSSL_cleanse(plaintext.data(), plaintext.size());
        return false;
    }
    return true;
}

}  // namespace ntplite::proto::nts
