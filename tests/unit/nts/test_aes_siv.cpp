// AES-SIV (RFC 5297) as built here from CMAC + CTR: the RFC's vectors, and agreement with
// OpenSSL's own AES-SIV wherever that one works (non-empty plaintext).
#include "proto/nts/crypto/aes_siv.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

#include "proto/nts/crypto/aes_ni.hpp"
#include "proto/nts/ke_record.hpp"

namespace ntplite::proto::nts {
namespace {

std::vector<std::byte> unhex(std::string_view h) {
    std::vector<std::byte> out;
    std::string clean;
    for (char c : h)
        if (c != ' ') clean += c;
    for (std::size_t i = 0; i + 1 < clean.size(); i += 2)
        out.push_back(std::byte(std::stoi(clean.substr(i, 2), nullptr, 16)));
    return out;
}

std::string hex(std::span<const std::byte> b) {
    std::string s;
    for (std::byte x : b) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", std::to_integer<unsigned>(x));
        s += buf;
    }
    return s;
}

// RFC 5297 appendix A.1 (deterministic: one header, no nonce), on both backends.
class AesSivBackends : public ::testing::TestWithParam<AesSivBackend> {};
INSTANTIATE_TEST_SUITE_P(Both, AesSivBackends,
                         ::testing::Values(AesSivBackend::kAuto, AesSivBackend::kOpenSsl));

TEST_P(AesSivBackends, Rfc5297DeterministicVector) {
    const auto key =
        unhex("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff");
    const auto ad = unhex("10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627");
    const auto pt = unhex("11223344 55667788 99aabbcc ddee");
    AesSiv siv(GetParam());
    ASSERT_TRUE(siv.ok());
    std::vector<std::byte> out(pt.size() + 16);
    const std::span<const std::byte> headers[] = {ad};
    ASSERT_TRUE(siv.seal_headers(kAeadAesSivCmac256, key, headers, pt, out));
    EXPECT_EQ(hex(out), "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c");
    std::vector<std::byte> back(pt.size());
    ASSERT_TRUE(siv.open_headers(kAeadAesSivCmac256, key, headers, out, back));
    EXPECT_EQ(back, pt);
}

// RFC 5297 appendix A.2 (two headers and a nonce): the synthetic IV.
TEST_P(AesSivBackends, Rfc5297NonceVectorTag) {
    const auto key =
        unhex("7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f");
    const auto ad1 = unhex(
        "00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 "
        "77665544 33221100");
    const auto ad2 = unhex("10203040 50607080 90a0");
    const auto nonce = unhex("09f91102 9d74e35b d84156c5 635688c0");
    const auto pt = unhex(
        "74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727970 "
        "74207573 696e6720 5349562d 414553");
    AesSiv siv(GetParam());
    std::vector<std::byte> out(pt.size() + 16);
    const std::span<const std::byte> headers[] = {ad1, ad2, nonce};
    ASSERT_TRUE(siv.seal_headers(kAeadAesSivCmac256, key, headers, pt, out));
    EXPECT_EQ(hex(std::span(out).first(16)), "7bdb6e3b432667eb06f4d14bff2fbd0f");
}

// OpenSSL's AES-SIV (each AAD update is one S2V header) as an independent reference.
std::vector<std::byte> openssl_siv(const char* name, std::span<const std::byte> key,
                                   std::span<const std::byte> ad, std::span<const std::byte> nonce,
                                   std::span<const std::byte> pt) {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, name, nullptr);
    EVP_CIPHER_CTX* x = EVP_CIPHER_CTX_new();
    std::vector<std::byte> out(16 + pt.size());
    int len = 0;
    auto u = [](std::span<const std::byte> s) {
        return reinterpret_cast<const unsigned char*>(s.data());
    };
    EXPECT_EQ(EVP_CipherInit_ex2(x, c, u(key), nullptr, 1, nullptr), 1);
    EXPECT_EQ(EVP_CipherUpdate(x, nullptr, &len, u(ad), int(ad.size())), 1);
    EXPECT_EQ(EVP_CipherUpdate(x, nullptr, &len, u(nonce), int(nonce.size())), 1);
    EXPECT_EQ(EVP_CipherUpdate(x, reinterpret_cast<unsigned char*>(out.data()) + 16, &len, u(pt),
                               int(pt.size())),
              1);
    EXPECT_EQ(EVP_CipherFinal_ex(x, reinterpret_cast<unsigned char*>(out.data()) + 16, &len), 1);
    EXPECT_EQ(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out.data()), 1);
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    return out;
}

TEST(AesSiv, AgreesWithOpenSslForBothKeySizes) {
    AesSiv siv;
    for (uint16_t aead : {kAeadAesSivCmac256, kAeadAesSivCmac512}) {
        std::vector<std::byte> key(aead_key_size(aead));
        for (std::size_t i = 0; i < key.size(); ++i) key[i] = std::byte(i * 7 + aead);
        // (OpenSSL refuses an empty header, so the reference starts at 1 byte.)
        for (std::size_t ad_len : {1u, 5u, 48u, 100u}) {
            for (std::size_t pt_len : {1u, 15u, 16u, 17u, 104u, 500u}) {
                std::vector<std::byte> ad(ad_len), nonce(16), pt(pt_len);
                for (std::size_t i = 0; i < ad_len; ++i) ad[i] = std::byte(i);
                for (std::size_t i = 0; i < 16; ++i) nonce[i] = std::byte(0xA0 + i);
                for (std::size_t i = 0; i < pt_len; ++i) pt[i] = std::byte(i * 3);
                std::vector<std::byte> mine(pt_len + 16);
                ASSERT_TRUE(siv.seal(aead, key, ad, nonce, pt, mine));
                EXPECT_EQ(hex(mine), hex(openssl_siv(
                                         aead == kAeadAesSivCmac256 ? "AES-128-SIV" : "AES-256-SIV",
                                         key, ad, nonce, pt)))
                    << aead << " " << ad_len << " " << pt_len;
            }
        }
    }
}

TEST(AesSiv, EmptyPlaintextAuthenticatesAndAnyBitFlipFails) {
    AesSiv siv;
    std::vector<std::byte> key(32, std::byte{0x42}), ad(68, std::byte{1}), nonce(16, std::byte{2});
    std::vector<std::byte> tag(16);
    ASSERT_TRUE(siv.seal(kAeadAesSivCmac256, key, ad, nonce, {}, tag));
    EXPECT_TRUE(siv.open(kAeadAesSivCmac256, key, ad, nonce, tag, {}));
    for (std::size_t bit = 0; bit < 8 * 16; ++bit) {
        auto t = tag;
        t[bit / 8] ^= std::byte(1u << (bit % 8));
        EXPECT_FALSE(siv.open(kAeadAesSivCmac256, key, ad, nonce, t, {})) << bit;
    }
    ad[47] ^= std::byte{0x10};
    EXPECT_FALSE(siv.open(kAeadAesSivCmac256, key, ad, nonce, tag, {}));
    EXPECT_FALSE(siv.open(16, key, ad, nonce, tag, {}));  // unknown AEAD id
}

// The kAuto backend (AES-NI where the CPU has it) seals exactly what the OpenSSL backend seals,
// and each opens the other's output, on random keys and messages of both AEADs: empty and short
// plaintexts, every length around the block size, NTS-sized and long ones (the CTR path's
// four-block loop and its tail), 0-3 headers including empty ones.
TEST(AesSiv, AcceleratedBackendAgreesWithOpenSslOnRandomInputs) {
    AesSiv fast, reference(AesSivBackend::kOpenSsl);
    ASSERT_TRUE(fast.ok() && reference.ok());
    EXPECT_EQ(fast.accelerated(), aesni::available());
    EXPECT_FALSE(reference.accelerated());
    std::mt19937 rng(5297);
    auto fill = [&](std::vector<std::byte>& v) {
        for (auto& b : v) b = std::byte(rng() & 0xFF);
    };
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n <= 70; ++n) lengths.push_back(n);
    for (std::size_t n : {100u, 104u, 108u, 168u, 172u, 184u, 500u, 1024u, 2047u, 2048u})
        lengths.push_back(n);
    for (uint16_t aead : {kAeadAesSivCmac256, kAeadAesSivCmac512}) {
        for (std::size_t pt_len : lengths) {
            std::vector<std::byte> key(aead_key_size(aead)), pt(pt_len);
            fill(key);
            fill(pt);
            std::vector<std::vector<std::byte>> header_bytes(rng() % 4);
            std::vector<std::span<const std::byte>> headers;
            for (auto& h : header_bytes) {
                h.resize(rng() % 3 == 0 ? 0 : rng() % 300);
                fill(h);
                headers.emplace_back(h);
            }
            std::vector<std::byte> a(pt_len + 16), b(pt_len + 16);
            ASSERT_TRUE(fast.seal_headers(aead, key, headers, pt, a));
            ASSERT_TRUE(reference.seal_headers(aead, key, headers, pt, b));
            ASSERT_EQ(hex(a), hex(b)) << aead << " pt " << pt_len << " headers " << headers.size();
            std::vector<std::byte> back(pt_len);
            ASSERT_TRUE(fast.open_headers(aead, key, headers, b, back));
            EXPECT_EQ(back, pt);
            ASSERT_TRUE(reference.open_headers(aead, key, headers, a, back));
            EXPECT_EQ(back, pt);
            // A flipped bit anywhere fails on both.
            a[rng() % a.size()] ^= std::byte(1u << (rng() % 8));
            EXPECT_FALSE(fast.open_headers(aead, key, headers, a, back));
            EXPECT_FALSE(reference.open_headers(aead, key, headers, a, back));
        }
    }
    // Beyond the 2048-byte limit both refuse alike.
    std::vector<std::byte> key(32), pt(2049), out(2049 + 16);
    const std::span<const std::byte> none[] = {std::span<const std::byte>()};
    EXPECT_FALSE(fast.seal_headers(kAeadAesSivCmac256, key, none, pt, out));
    EXPECT_FALSE(reference.seal_headers(kAeadAesSivCmac256, key, none, pt, out));
}

}  // namespace
}  // namespace ntplite::proto::nts
