// Human output that fits a terminal of 80 columns: every line ntpq-lite prints for people is at
// most kTextWidth (79) characters, like ntpq's tables. Pure functions, golden-tested.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ntplite::tools {

/// Widest line of human output, in characters (80-column terminals; ntpq's tables are 79).
inline constexpr std::size_t kTextWidth = 79;

/// Word-wraps `text` to lines of at most `width` characters, each ending in '\n'. The first line
/// continues after `first_column` characters already printed; later lines start with `indent`.
/// A word longer than a whole line (a long host name) is cut across lines rather than
/// overflowing. Empty text gives "\n".
std::string wrap_text(std::string_view text, std::size_t width, std::string_view indent,
                      std::size_t first_column = 0);

/// "Name            : value" rows of `status`-style blocks: the value starts at column
/// `name_width` + 2 and wraps under itself.
std::string wrap_row(std::string_view name, std::string_view value, std::size_t name_width,
                     std::string_view separator = ": ");

}  // namespace ntplite::tools
