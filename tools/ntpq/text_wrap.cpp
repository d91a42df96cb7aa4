#include "tools/ntpq/text_wrap.hpp"

#include <algorithm>

namespace ntplite::tools {

std::string wrap_text(std::string_view text, std::size_t width, std::string_view indent,
                      std::size_t first_column) {
    std::string out;
    std::size_t column = first_column;  // characters on the current output line
    bool line_has_word = false;
    auto new_line = [&] {
        out += '\n';
        out += indent;
        column = indent.size();
        line_has_word = false;
    };
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (text[pos] == ' ') {
            ++pos;
            continue;
        }
        std::size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view word = text.substr(pos, end - pos);
        pos = end;
        const std::size_t need = word.size() + (line_has_word ? 1 : 0);
        if (column + need > width && line_has_word) new_line();
        if (line_has_word) {
            out += ' ';
            ++column;
        }
        // A word that does not fit even on a line of its own is cut (at least one character per
        // line, so a width below the indent cannot loop forever).
        while (column + word.size() > width) {
            const std::size_t room = std::max<std::size_t>(1, width > column ? width - column : 0);
            out += word.substr(0, room);
            word.remove_prefix(std::min(room, word.size()));
            if (word.empty()) break;
            new_line();
        }
        out += word;
        column += word.size();
        line_has_word = true;
    }
    out += '\n';
    return out;
}

std::string wrap_row(std::string_view name, std::string_view value, std::size_t name_width,
                     std::string_view separator) {
    std::string head(name);
    if (head.size() < name_width) head.append(name_width - head.size(), ' ');
    head += separator;
    return head + wrap_text(value, kTextWidth, std::string(head.size(), ' '), head.size());
}

}  // namespace ntplite::tools
