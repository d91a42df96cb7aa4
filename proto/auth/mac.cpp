#include "proto/auth/mac.hpp"

// SHA1 and MD5 through the low-level API (deprecated in OpenSSL 3, still shipped): OpenSSL 3.0's
// EVP digests free and re-create their provider context at every init or copy, one malloc per
// MAC on the server hot path (tests/unit/auth_alloc counts them). The plain C contexts are
// copied by value: the key is absorbed once per key, each MAC copies that state.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace ntplite::auth {

struct MacEngine::Impl {
    OSSL_LIB_CTX* libctx = nullptr;
    EVP_MAC* cmac = nullptr;
    std::vector<EVP_MAC_CTX*> cmac_ctx;  // per key (nullptr for hash keys), key already set
    std::vector<SHA_CTX> sha1_keyed;     // per key: SHA1 state after absorbing the key
    std::vector<MD5_CTX> md5_keyed;      // per key: MD5 state after absorbing the key

    ~Impl() {
        for (EVP_MAC_CTX* c : cmac_ctx) EVP_MAC_CTX_free(c);
        EVP_MAC_free(cmac);
        OSSL_LIB_CTX_free(libctx);
        for (SHA_CTX& c : sha1_keyed) OPENSSL_cleanse(&c, sizeof c);
        for (MD5_CTX& c : md5_keyed) OPENSSL_cleanse(&c, sizeof c);
    }
};

MacEngine::MacEngine(const KeySet& keys) : keys_(keys), impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.libctx = OSSL_LIB_CTX_new();
    m.cmac_ctx.assign(keys_.size(), nullptr);
    m.sha1_keyed.assign(keys_.size(), SHA_CTX{});
    m.md5_keyed.assign(keys_.size(), MD5_CTX{});
    if (!m.libctx) return;
    bool all = true;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        const SymmetricKey& k = keys_.keys()[i];
        if (k.type == KeyType::kSha1) {
            all = all && SHA1_Init(&m.sha1_keyed[i]) == 1 &&
                  SHA1_Update(&m.sha1_keyed[i], k.secret.data(), k.secret_bytes) == 1;
            continue;
        }
        if (k.type == KeyType::kMd5) {
            all = all && MD5_Init(&m.md5_keyed[i]) == 1 &&
                  MD5_Update(&m.md5_keyed[i], k.secret.data(), k.secret_bytes) == 1;
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
    // RFC 5905 section 7.3: digest = H(key || packet); the key is already in the copied state.
    if (k.type == KeyType::kSha1) {
        SHA_CTX c = m.sha1_keyed[index];
        const bool ok = SHA1_Update(&c, data.data(), data.size()) == 1 && SHA1_Final(dst, &c) == 1;
        OPENSSL_cleanse(&c, sizeof c);
        return ok ? n : 0;
    }
    if (k.type == KeyType::kMd5) {
        MD5_CTX c = m.md5_keyed[index];
        const bool ok = MD5_Update(&c, data.data(), data.size()) == 1 && MD5_Final(dst, &c) == 1;
        OPENSSL_cleanse(&c, sizeof c);
        return ok ? n : 0;
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
