// Text from a config file (or the network) quoted for an error message: bounded in length and
// with control characters escaped, so a 1 MB key or a NUL cannot flood or cut a log line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ntplite::config {

/// Longest piece of user text echoed in one message (bytes before the "..." marker).
inline constexpr std::size_t kMaxQuotedBytes = 64;

/// `text` in double quotes; bytes < 0x20, 0x7f, '"' and '\\' escaped (\xNN, \", \\); cut after
/// kMaxQuotedBytes input bytes with "..." and the full length appended.
std::string quoted(std::string_view text);

/// True if `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
/// U+10FFFF). Sets `*bad_offset` to the first bad byte's offset when it returns false.
bool valid_utf8(std::string_view text, std::size_t* bad_offset);

/// True for the code points on which toml++ 3.3 reaches TOML_UNREACHABLE (undefined behaviour;
/// U+0370 or U+FEBF after a bare key, found by tests/fuzz/fuzz_config.cpp): U+00A1..U+0499,
/// U+2C5E..U+3057 except U+3000, U+FB26..U+FEFE.
bool toml33_unsafe_code_point(char32_t c);
/// `text` (valid UTF-8) with every such code point inside a TOML comment replaced by as many
/// spaces as it has bytes (offsets, and so error positions, stay the same). Comments mean
/// nothing to the parser, so "# Zürich" no longer makes a config invalid, while toml++ never
/// sees those code points there. The scan knows basic, literal and multi-line strings, so a '#'
/// inside a string is not a comment; wherever else the code points remain (strings, keys,
/// broken values), toml33_safe() still refuses them.
std::string blank_toml33_unsafe_in_comments(std::string_view text);
/// True if valid-UTF-8 `text` has none of those code points; else sets `*bad_offset` and
/// `*code_point` to the first one.
bool toml33_safe(std::string_view text, std::size_t* bad_offset, char32_t* code_point);

}  // namespace ntplite::config
