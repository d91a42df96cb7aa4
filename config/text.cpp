#include "config/text.hpp"

namespace ntplite::config {

std::string quoted(std::string_view text) {
    std::string out = "\"";
    const std::size_t shown = text.size() > kMaxQuotedBytes ? kMaxQuotedBytes : text.size();
    for (std::size_t i = 0; i < shown; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
    if (shown < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

bool valid_utf8(std::string_view text, std::size_t* bad_offset) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    auto cont = [&](std::size_t k) { return k < n && (at(k) & 0xC0) == 0x80; };
    while (i < n) {
        const unsigned char c = at(i);
        std::size_t len = 0;
        if (c < 0x80) {
            len = 1;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = cont(i + 1) ? 2 : 0;
        } else if (c >= 0xE0 && c <= 0xEF) {
            // E0: no overlong (second byte >= A0); ED: no surrogates (second byte < A0).
            const bool ok2 = i + 1 < n && (c == 0xE0   ? at(i + 1) >= 0xA0 && at(i + 1) <= 0xBF
                                           : c == 0xED ? at(i + 1) >= 0x80 && at(i + 1) <= 0x9F
                                                       : cont(i + 1));
            len = ok2 && cont(i + 2) ? 3 : 0;
        } else if (c >= 0xF0 && c <= 0xF4) {
            // F0: no overlong (>= 90); F4: not above U+10FFFF (< 90).
            const bool ok2 = i + 1 < n && (c == 0xF0   ? at(i + 1) >= 0x90 && at(i + 1) <= 0xBF
                                           : c == 0xF4 ? at(i + 1) >= 0x80 && at(i + 1) <= 0x8F
                                                       : cont(i + 1));
            len = ok2 && cont(i + 2) && cont(i + 3) ? 4 : 0;
        }
        if (len == 0) {
            if (bad_offset) *bad_offset = i;
            return false;
        }
        i += len;
    }
    return true;
}

}  // namespace ntplite::config
