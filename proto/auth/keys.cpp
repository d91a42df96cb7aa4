#include "proto/auth/keys.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>

namespace ntplite::auth {

std::string_view to_string(KeyType t) {
    switch (t) {
        case KeyType::kAes128Cmac:
            return "AES128";
        case KeyType::kAes256Cmac:
            return "AES256";
        case KeyType::kSha1:
            return "SHA1";
        case KeyType::kMd5:
            return "MD5";
    }
    return "?";
}

std::size_t digest_bytes(KeyType t) {
    return t == KeyType::kSha1 ? 20 : 16;
}

SymmetricKey::~SymmetricKey() {
    OPENSSL_cleanse(secret.data(), secret.size());
}

KeySet::KeySet(std::vector<SymmetricKey> keys) : keys_(std::move(keys)) {
    std::sort(keys_.begin(), keys_.end(),
              [](const SymmetricKey& a, const SymmetricKey& b) { return a.id < b.id; });
}

std::optional<std::size_t> KeySet::index_of(uint32_t id) const {
    auto it = std::lower_bound(keys_.begin(), keys_.end(), id,
                               [](const SymmetricKey& k, uint32_t v) { return k.id < v; });
    if (it == keys_.end() || it->id != id) return std::nullopt;
    return static_cast<std::size_t>(it - keys_.begin());
}

const SymmetricKey* KeySet::find(uint32_t id) const {
    auto i = index_of(id);
    return i ? &keys_[*i] : nullptr;
}

std::string to_string(const KeyFileError& e) {
    if (e.line == 0) return e.file + ": " + e.message;
    return e.file + ":" + std::to_string(e.line) + ": " + e.message;
}

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        std::size_t start = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<KeyType> key_type_from(std::string_view s) {
    // chrony compares type names case-sensitively in upper case; accept those names only.
    if (s == "AES128") return KeyType::kAes128Cmac;
    if (s == "AES256") return KeyType::kAes256Cmac;
    if (s == "SHA1") return KeyType::kSha1;
    if (s == "MD5") return KeyType::kMd5;
    return std::nullopt;
}

// Decodes the key word into `key`; returns an error message (never containing the key) or "".
std::string decode_secret(std::string_view word, SymmetricKey& key) {
    if (word.starts_with("HEX:")) {
        std::string_view hex = word.substr(4);
        if (hex.empty() || hex.size() % 2 != 0)
            return "HEX key needs an even, non-zero number of digits";
        if (hex.size() / 2 > kMaxSecretBytes)
            return "key longer than " + std::to_string(kMaxSecretBytes) + " bytes";
        for (std::size_t i = 0; i < hex.size(); i += 2) {
            int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
            if (hi < 0 || lo < 0) return "HEX key has a character that is not a hex digit";
            key.secret[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
        }
        key.secret_bytes = hex.size() / 2;
        return "";
    }
    std::string_view text = word.starts_with("ASCII:") ? word.substr(6) : word;
    if (text.empty()) return "empty key";
    if (text.size() > kMaxSecretBytes)
        return "key longer than " + std::to_string(kMaxSecretBytes) + " bytes";
    for (std::size_t i = 0; i < text.size(); ++i) key.secret[i] = static_cast<uint8_t>(text[i]);
    key.secret_bytes = text.size();
    return "";
}

}  // namespace

std::expected<KeySet, std::vector<KeyFileError>> parse_key_file(std::string_view text,
                                                                std::string_view file_name) {
    std::vector<KeyFileError> errors;
    const std::string file(file_name);
    auto fail = [&](int line, std::string msg) {
        errors.push_back(KeyFileError{file, line, std::move(msg)});
    };
    if (text.size() > kMaxKeyFileBytes) {
        fail(0, "larger than " + std::to_string(kMaxKeyFileBytes) + " bytes");
        return std::unexpected(std::move(errors));
    }
    std::vector<SymmetricKey> keys;
    int line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size() && errors.size() < 20) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line =
            text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++line_no;
        auto words = split_words(line);
        if (words.empty() || std::string_view("!;#%").find(words[0][0]) != std::string_view::npos)
            continue;
        if (words.size() < 2 || words.size() > 3) {
            fail(line_no, "expected \"ID [TYPE] KEY\"");
            continue;
        }
        SymmetricKey key;
        const std::string_view id_word = words[0];
        auto [p, ec] = std::from_chars(id_word.data(), id_word.data() + id_word.size(), key.id);
        if (ec != std::errc{} || p != id_word.data() + id_word.size() || key.id == 0) {
            fail(line_no, "key id must be a number from 1 to 4294967295");
            continue;
        }
        key.type = KeyType::kMd5;  // chrony's default when the type is left out
        if (words.size() == 3) {
            auto t = key_type_from(words[1]);
            if (!t) {
                fail(line_no, "key " + std::to_string(key.id) + ": unsupported type \"" +
                                  std::string(words[1].substr(0, 32)) +
                                  "\" (AES128, AES256, SHA1 or MD5)");
                continue;
            }
            key.type = *t;
        }
        if (std::string msg = decode_secret(words.back(), key); !msg.empty()) {
            fail(line_no, "key " + std::to_string(key.id) + ": " + msg);
            continue;
        }
        const std::size_t want = key.type == KeyType::kAes128Cmac   ? 16
                                 : key.type == KeyType::kAes256Cmac ? 32
                                                                    : 0;
        if (want != 0 && key.secret_bytes != want) {
            fail(line_no, "key " + std::to_string(key.id) + ": " +
                              std::string(to_string(key.type)) + " needs a " +
                              std::to_string(want * 8) + "-bit key (" + std::to_string(want * 2) +
                              " hex digits), got " + std::to_string(key.secret_bytes * 8) +
                              " bits");
            continue;
        }
        if (keys.size() >= kMaxKeys) {
            fail(line_no, "more than " + std::to_string(kMaxKeys) + " keys");
            break;
        }
        keys.push_back(key);
    }
    std::sort(keys.begin(), keys.end(),
              [](const SymmetricKey& a, const SymmetricKey& b) { return a.id < b.id; });
    for (std::size_t i = 1; i < keys.size(); ++i)
        if (keys[i].id == keys[i - 1].id)
            fail(0, "key " + std::to_string(keys[i].id) + " defined twice");
    if (!errors.empty()) return std::unexpected(std::move(errors));
    return KeySet(std::move(keys));
}

}  // namespace ntplite::auth
