// Symmetric NTP keys (RFC 5905 MACs, RFC 8573 AES-CMAC) and the parser of a keys file in
// chrony's `keyfile` format: one key per line, "ID [TYPE] KEY", KEY as "HEX:..." or ("ASCII:")
// text, comment lines starting with # ! ; or %. Pure: parsing only (reading the file is edge
// code, config/os/key_file.*). Secrets are wiped when a key is destroyed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ntplite::auth {

/// MAC algorithms. The digest is H(key || packet) for the hashes (RFC 5905), CMAC(key, packet)
/// for AES (RFC 8573).
enum class KeyType : uint8_t {
    kAes128Cmac,  ///< "AES128": RFC 8573's recommended MAC, 16-byte key, 16-byte digest
    kAes256Cmac,  ///< "AES256": 32-byte key, 16-byte digest
    kSha1,        ///< "SHA1": legacy, 20-byte digest (any key length)
    kMd5,         ///< "MD5": legacy (chrony's default type), 16-byte digest (any key length)
};
/// The keys-file name: "AES128", "AES256", "SHA1", "MD5".
std::string_view to_string(KeyType t);
/// Digest bytes on the wire (after the 4-byte key id): 16 or 20.
std::size_t digest_bytes(KeyType t);

/// Longest secret accepted (bytes); AES keys have exactly 16 or 32.
inline constexpr std::size_t kMaxSecretBytes = 64;
/// Most keys in one file (the lookup is a binary search; a real file holds a handful).
inline constexpr std::size_t kMaxKeys = 4096;
/// Largest keys file accepted (bytes).
inline constexpr std::size_t kMaxKeyFileBytes = 1 << 20;

/// One key. Copyable (each worker thread builds its own MAC contexts from it).
struct SymmetricKey {
    uint32_t id = 0;  ///< 1..2^32-1 (0 is the crypto-NAK's key id)
    KeyType type = KeyType::kAes128Cmac;
    std::array<uint8_t, kMaxSecretBytes> secret{};
    std::size_t secret_bytes = 0;

    SymmetricKey() = default;
    SymmetricKey(const SymmetricKey&) = default;
    SymmetricKey& operator=(const SymmetricKey&) = default;
    ~SymmetricKey();
    std::span<const uint8_t> secret_view() const { return {secret.data(), secret_bytes}; }
};

/// The keys of one file, sorted by id (ids unique).
class KeySet {
  public:
    KeySet() = default;
    /// Sorts `keys`; the caller guarantees unique ids (parse_key_file checks).
    explicit KeySet(std::vector<SymmetricKey> keys);
    /// The key with `id`, or nullptr.
    const SymmetricKey* find(uint32_t id) const;
    /// Index of the key with `id` in keys() (binary search, no allocation).
    std::optional<std::size_t> index_of(uint32_t id) const;
    std::span<const SymmetricKey> keys() const { return keys_; }
    std::size_t size() const { return keys_.size(); }
    bool empty() const { return keys_.empty(); }

  private:
    std::vector<SymmetricKey> keys_;
};

/// One problem in a keys file. The message never contains key material.
struct KeyFileError {
    std::string file;
    int line = 0;  ///< 1-based, 0 = the whole file
    std::string message;
};
/// "file:line: message".
std::string to_string(const KeyFileError& e);

/// Parses keys-file text. Stricter than chrony, which skips bad lines with a warning: any bad
/// line is an error here (a key silently missing would make a source fail later, far from the
/// cause). Bounded: at most kMaxKeys keys and kMaxKeyFileBytes bytes.
std::expected<KeySet, std::vector<KeyFileError>> parse_key_file(std::string_view text,
                                                                std::string_view file_name);

}  // namespace ntplite::auth
