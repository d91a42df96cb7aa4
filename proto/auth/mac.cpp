#include "proto/auth/mac.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace ntplite::auth {

struct MacEngine::Impl {
    OSSL_LIB_CTX* libctx = nullptr;
    EVP_MAC* cmac = nullptr;
    EVP_MD* md5 = nullptr;
    EVP_MD* sha1 = nullptr;
    EVP_MD_CTX* md_ctx = nullptr;        // shared by the hash keys (one MAC at a time)
    std::vector<EVP_MAC_CTX*> cmac_ctx;  // per key (nullptr for hash keys), key already set

    ~Impl() {
        for (EVP_MAC_CTX* c : cmac_ctx) EVP_MAC_CTX_free(c);
        EVP_MD_CTX_free(md_ctx);
        EVP_MD_free(sha1);
        EVP_MD_free(md5);
        EVP_MAC_free(cmac);
        OSSL_LIB_CTX_free(libctx);
    }
};

MacEngine::MacEngine(const KeySet& keys) : keys_(keys), impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.libctx = OSSL_LIB_CTX_new();
    m.cmac_ctx.assign(keys_.size(), nullptr);
    if (!m.libctx) return;
    m.md_ctx = EVP_MD_CTX_new();
    bool all = m.md_ctx != nullptr;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        const SymmetricKey& k = keys_.keys()[i];
        if (k.type == KeyType::kSha1 || k.type == KeyType::kMd5) {
            EVP_MD*& md = k.type == KeyType::kSha1 ? m.sha1 : m.md5;
            if (!md)
                md = EVP_MD_fetch(m.libctx, k.type == KeyType::kSha1 ? "SHA1" : "MD5", nullptr);
            all = all && md != nullptr;
            continue;
        }
        if (!m.cmac) m.cmac = EVP_MAC_fetch(m.libctx, "CMAC", nullptr);
        if (!m.cmac) {
            all = false;
            continue;
        }
        EVP_MAC_CTX* c = EVP_MAC_CTX_new(m.cmac);
        char cipher[] = "AES-128-CBC";
        char cipher256[] = "AES-256-CBC";
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(
                OSSL_MAC_PARAM_CIPHER, k.type == KeyType::kAes128Cmac ? cipher : cipher256, 0),
            OSSL_PARAM_construct_end()};
        if (!c || EVP_MAC_init(c, k.secret.data(), k.secret_bytes, params) != 1) {
            EVP_MAC_CTX_free(c);
            all = false;
            continue;
        }
        m.cmac_ctx[i] = c;
    }
    ok_ = all;
}

MacEngine::~MacEngine() = default;

std::size_t MacEngine::compute(std::size_t index, std::span<const std::byte> data,
                               std::span<std::byte> out) {
    if (index >= keys_.size()) return 0;
    const SymmetricKey& k = keys_.keys()[index];
    const std::size_t n = digest_bytes(k.type);
    if (out.size() < n) return 0;
    auto* dst = reinterpret_cast<unsigned char*>(out.data());
    Impl& m = *impl_;
    if (k.type == KeyType::kSha1 || k.type == KeyType::kMd5) {
        // RFC 5905 section 7.3: digest = H(key || packet).
        const EVP_MD* md = k.type == KeyType::kSha1 ? m.sha1 : m.md5;
        unsigned int len = 0;
        if (!md || !m.md_ctx || EVP_DigestInit_ex2(m.md_ctx, md, nullptr) != 1 ||
            EVP_DigestUpdate(m.md_ctx, k.secret.data(), k.secret_bytes) != 1 ||
            EVP_DigestUpdate(m.md_ctx, data.data(), data.size()) != 1 ||
            EVP_DigestFinal_ex(m.md_ctx, dst, &len) != 1 || len != n)
            return 0;
        return n;
    }
    EVP_MAC_CTX* c = m.cmac_ctx[index];
    std::size_t len = 0;
    // Init with no key restarts CMAC with the key already set (no allocation).
    if (!c || EVP_MAC_init(c, nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(c, dst, &len, out.size()) != 1 || len != n)
        return 0;
    return n;
}

bool MacEngine::verify(std::size_t index, std::span<const std::byte> data,
                       std::span<const std::byte> digest) {
    std::array<std::byte, kMaxDigestBytes> want{};
    const std::size_t n = compute(index, data, want);
    if (n == 0 || digest.size() != n) return false;
    return CRYPTO_memcmp(want.data(), digest.data(), n) == 0;
}

}  // namespace ntplite::auth
