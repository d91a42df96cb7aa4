// Reading the symmetric keys file ([auth] keyfile) from disk: the edge half of
// proto/auth/keys.hpp's parser. Same rules as the config file: a regular file, size-capped,
// every problem reported with file and line, never a crash.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "proto/auth/keys.hpp"

namespace ntplite::config {

struct LoadedKeys {
    std::shared_ptr<const auth::KeySet> keys;
    /// Non-fatal: e.g. "readable by other users" (the daemon logs it).
    std::vector<std::string> warnings;
};

/// Reads and parses a keys file. Errors are one line each ("file:line: message"), never
/// containing key material; the text read is wiped from memory afterwards.
std::expected<LoadedKeys, std::vector<std::string>> load_key_file(const std::string& path);

}  // namespace ntplite::config
