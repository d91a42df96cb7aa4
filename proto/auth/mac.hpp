// Computing and checking NTP MACs with OpenSSL's libcrypto. Computation only: a private
// OSSL_LIB_CTX (so no openssl.cnf is read), contexts created once in the constructor, and no
// allocation, no entropy and no IO per MAC — safe on the server hot path. Not thread-safe: each
// worker thread (and each client source) owns its own MacEngine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "proto/auth/keys.hpp"

namespace ntplite::auth {

/// Largest digest any KeyType produces (bytes).
inline constexpr std::size_t kMaxDigestBytes = 20;

class MacEngine {
  public:
    /// Builds the contexts for every key of `keys` (copied). If OpenSSL cannot provide an
    /// algorithm, that key's MACs fail (compute() returns 0, verify() false): ok() tells.
    explicit MacEngine(const KeySet& keys);
    ~MacEngine();
    MacEngine(const MacEngine&) = delete;
    MacEngine& operator=(const MacEngine&) = delete;

    /// Every key got its context.
    bool ok() const { return ok_; }
    const KeySet& keys() const { return keys_; }
    /// Index of the key with `id`, for compute()/verify().
    std::optional<std::size_t> index_of(uint32_t id) const { return keys_.index_of(id); }

    /// Digest of `data` with key number `index` into `out` (at least digest_bytes of the key).
    /// Returns the digest size (16 or 20), 0 on failure.
    std::size_t compute(std::size_t index, std::span<const std::byte> data,
                        std::span<std::byte> out);
    /// True if `digest` is the digest of `data` with key `index` (constant-time comparison;
    /// a digest of the wrong length is false).
    bool verify(std::size_t index, std::span<const std::byte> data,
                std::span<const std::byte> digest);

  private:
    struct Impl;
    KeySet keys_;
    std::unique_ptr<Impl> impl_;
    bool ok_ = false;
};

}  // namespace ntplite::auth
