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

namespace ntplite::config {

bool toml33_unsafe_code_point(char32_t c) {
    // toml++ 3.3's is_non_ascii_horizontal_whitespace() splits U+00A0..U+FEFF into 64 blocks of
    // 0x3FA and falls into TOML_UNREACHABLE for blocks 0, 11 and 63 except on its three listed
    // spaces; it is called on whatever code point the parser meets outside a string, and an
    // invalid document can put the parser anywhere, so these code points are refused outright.
    return (c >= 0xA1 && c <= 0x499) || (c >= 0x2C5E && c <= 0x3057 && c != 0x3000) ||
           (c >= 0xFB26 && c <= 0xFEFE);
}

namespace {

// Length of the UTF-8 sequence starting with `b0` (text already validated) and its code point.
std::size_t decode_at(std::string_view text, std::size_t i, char32_t* out) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t len = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
    if (i + len > text.size()) len = text.size() - i;
    char32_t c = len == 1 ? b0 : len == 2 ? b0 & 0x1F : len == 3 ? b0 & 0x0F : b0 & 0x07;
    for (std::size_t k = 1; k < len; ++k)
        c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    *out = c;
    return len;
}

}  // namespace

std::string blank_toml33_unsafe_in_comments(std::string_view text) {
    enum class In { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
    std::string out(text);
    In in = In::kCode;
    const std::size_t n = text.size();
    auto starts = [&](std::size_t i, std::string_view what) {
        return text.substr(i, what.size()) == what;
    };
    // After a multi-line string's closing delimiter, up to two more quotes belong to the string
    // (TOML 1.0: """a""""" is the string a"").
    auto close_multi = [&](std::size_t i, char q) {
        i += 3;
        for (int extra = 0; extra < 2 && i < n && text[i] == q; ++extra) ++i;
        return i;
    };
    for (std::size_t i = 0; i < n;) {
        const char c = text[i];
        switch (in) {
            case In::kCode:
                if (c == '#') {
                    in = In::kComment;
                } else if (starts(i, "\"\"\"")) {
                    in = In::kMultiBasic;
                    i += 3;
                    continue;
                } else if (starts(i, "'''")) {
                    in = In::kMultiLiteral;
                    i += 3;
                    continue;
                } else if (c == '"') {
                    in = In::kBasic;
                } else if (c == '\'') {
                    in = In::kLiteral;
                }
                ++i;
                continue;
            case In::kComment: {
                if (c == '\n') {
                    in = In::kCode;
                    ++i;
                    continue;
                }
                char32_t cp = 0;
                const std::size_t len = decode_at(text, i, &cp);
                if (toml33_unsafe_code_point(cp)) out.replace(i, len, len, ' ');
                i += len;
                continue;
            }
            case In::kBasic:
                // A newline ends an (unterminated) single-line string too: the parser stops there.
                if (c == '\\') {
                    i += 2;
                    continue;
                }
                if (c == '"' || c == '\n') in = In::kCode;
                ++i;
                continue;
            case In::kLiteral:
                if (c == '\'' || c == '\n') in = In::kCode;
                ++i;
                continue;
            case In::kMultiBasic:
                if (c == '\\') {
                    i += 2;
                    continue;
                }
                if (starts(i, "\"\"\"")) {
                    i = close_multi(i, '"');
                    in = In::kCode;
                    continue;
                }
                ++i;
                continue;
            case In::kMultiLiteral:
                if (starts(i, "'''")) {
                    i = close_multi(i, '\'');
                    in = In::kCode;
                    continue;
                }
                ++i;
                continue;
        }
    }
    return out;
}

bool toml33_safe(std::string_view text, std::size_t* bad_offset, char32_t* code_point) {
    // `text` is valid UTF-8 here (checked first), so the decoding needs no bounds checks beyond
    // the sequence length.
    for (std::size_t i = 0; i < text.size();) {
        const auto b0 = static_cast<unsigned char>(text[i]);
        std::size_t len = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
        if (i + len > text.size()) len = text.size() - i;
        char32_t c = len == 1 ? b0 : len == 2 ? b0 & 0x1F : len == 3 ? b0 & 0x0F : b0 & 0x07;
        for (std::size_t k = 1; k < len; ++k)
            c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        if (toml33_unsafe_code_point(c)) {
            if (bad_offset) *bad_offset = i;
            if (code_point) *code_point = c;
            return false;
        }
        i += len;
    }
    return true;
}

}  // namespace ntplite::config
