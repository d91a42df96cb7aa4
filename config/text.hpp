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

}  // namespace ntplite::config
