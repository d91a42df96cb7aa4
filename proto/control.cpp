// Mode 6 control message codec (RFC 9327). See control.hpp for the layout.
#include "proto/control.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "proto/wire.hpp"

namespace ntplite::proto {

std::string_view to_string(ControlParseError e) {
    switch (e) {
        case ControlParseError::kTooShort:
            return "too-short";
        case ControlParseError::kTooLong:
            return "too-long";
        case ControlParseError::kNotControl:
            return "not-control";
        case ControlParseError::kBadVersion:
            return "bad-version";
        case ControlParseError::kCountTooLarge:
            return "count-too-large";
        case ControlParseError::kTruncatedData:
            return "truncated-data";
        case ControlParseError::kBadTrailer:
            return "bad-trailer";
    }
    return "unknown";
}

namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t to) {
    return (n + to - 1) / to * to;
}

bool is_mac_size(std::size_t n) {
    return n == kMacMd5Size || n == kMacSha1Size;
}

// Longest total data a response can carry: the offset field is 16 bits.
constexpr std::size_t kMaxResponseData = 0xffff;

}  // namespace

std::expected<ControlMessage, ControlParseError> parse_control(
    std::span<const std::byte> datagram) {
    if (datagram.size() < kControlHeaderSize) return std::unexpected(ControlParseError::kTooShort);
    if (datagram.size() > kControlMaxPacket) return std::unexpected(ControlParseError::kTooLong);
    const auto b0 = std::to_integer<uint8_t>(datagram[0]);
    const auto b1 = std::to_integer<uint8_t>(datagram[1]);
    if ((b0 & 0x7) != static_cast<uint8_t>(Mode::kControl))
        return std::unexpected(ControlParseError::kNotControl);

    ControlMessage m;
    ControlHeader& h = m.header;
    h.leap = static_cast<LeapIndicator>(b0 >> 6);
    h.version = static_cast<uint8_t>((b0 >> 3) & 0x7);
    if (h.version < 1 || h.version > 4) return std::unexpected(ControlParseError::kBadVersion);
    h.response = (b1 & 0x80) != 0;
    h.error = (b1 & 0x40) != 0;
    h.more = (b1 & 0x20) != 0;
    h.opcode = b1 & 0x1f;
    h.sequence = wire::load_be16(datagram, 2);
    h.status = wire::load_be16(datagram, 4);
    h.association_id = wire::load_be16(datagram, 6);
    h.offset = wire::load_be16(datagram, 8);
    h.count = wire::load_be16(datagram, 10);
    if (h.count > kControlMaxData) return std::unexpected(ControlParseError::kCountTooLarge);
    const std::size_t data_end = kControlHeaderSize + h.count;
    if (data_end > datagram.size()) return std::unexpected(ControlParseError::kTruncatedData);
    m.data = datagram.subspan(kControlHeaderSize, h.count);

    // Accepted endings: unpadded, padded to 4 or 8, or either padding followed by a MAC.
    const std::size_t len = datagram.size();
    const std::size_t pad4 = round_up(data_end, 4);
    const std::size_t pad8 = round_up(data_end, 8);
    if (len == data_end || len == pad4 || len == pad8) return m;
    for (std::size_t mac_start : {pad4, pad8}) {
        if (len > mac_start && is_mac_size(len - mac_start)) {
            m.mac_bytes = static_cast<uint16_t>(len - mac_start);
            return m;
        }
    }
    return std::unexpected(ControlParseError::kBadTrailer);
}

std::size_t serialize_control(const ControlHeader& header, std::span<const std::byte> data,
                              std::span<std::byte> out) {
    if (data.size() > kControlMaxData) return 0;
    const std::size_t total = round_up(kControlHeaderSize + data.size(), 4);
    if (out.size() < total) return 0;
    const auto b0 =
        static_cast<uint8_t>((static_cast<unsigned>(header.leap) & 0x3) << 6 |
                             (header.version & 0x7u) << 3 | static_cast<unsigned>(Mode::kControl));
    const auto b1 = static_cast<uint8_t>((header.response ? 0x80 : 0) | (header.error ? 0x40 : 0) |
                                         (header.more ? 0x20 : 0) | (header.opcode & 0x1f));
    out[0] = static_cast<std::byte>(b0);
    out[1] = static_cast<std::byte>(b1);
    wire::store_be16(out, 2, header.sequence);
    wire::store_be16(out, 4, header.status);
    wire::store_be16(out, 6, header.association_id);
    wire::store_be16(out, 8, header.offset);
    wire::store_be16(out, 10, static_cast<uint16_t>(data.size()));
    if (!data.empty()) std::memcpy(out.data() + kControlHeaderSize, data.data(), data.size());
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(kControlHeaderSize + data.size()),
              out.begin() + static_cast<std::ptrdiff_t>(total), std::byte{0});
    return total;
}

std::size_t control_fragment_count(std::size_t total_data_bytes) {
    const std::size_t n = std::min(total_data_bytes, kMaxResponseData);
    return n == 0 ? 1 : (n + kControlMaxData - 1) / kControlMaxData;
}

std::size_t control_fragment(const ControlHeader& request, uint16_t status, bool error,
                             std::span<const std::byte> total_data, std::size_t index,
                             std::span<std::byte> out) {
    const std::size_t fragments = control_fragment_count(total_data.size());
    if (index >= fragments) return 0;
    const std::size_t usable = std::min(total_data.size(), kMaxResponseData);
    const std::size_t offset = index * kControlMaxData;  // <= 65535 because usable <= 65535
    const std::size_t count = std::min(kControlMaxData, usable - offset);
    ControlHeader h;
    h.leap = request.leap;
    h.version = request.version;
    h.response = true;
    h.error = error;
    h.more = index + 1 < fragments;
    h.opcode = request.opcode;
    h.sequence = request.sequence;
    h.status = status;
    h.association_id = request.association_id;
    h.offset = static_cast<uint16_t>(offset);
    return serialize_control(h, total_data.subspan(offset, count), out);
}

bool VarListWriter::append(std::initializer_list<std::string_view> parts) {
    if (overflowed_) return false;
    std::size_t needed = size_ == 0 ? 0 : 2;  // ", " separator
    for (auto p : parts) needed += p.size();
    if (needed > buf_.size() - size_) {
        overflowed_ = true;
        return false;
    }
    if (size_ != 0) {
        buf_[size_++] = ',';
        buf_[size_++] = ' ';
    }
    for (auto p : parts) {
        std::memcpy(buf_.data() + size_, p.data(), p.size());
        size_ += p.size();
    }
    return true;
}

bool VarListWriter::add_raw(std::string_view name, std::string_view value) {
    return append({name, "=", value});
}

bool VarListWriter::add_quoted(std::string_view name, std::string_view value) {
    if (value.find('"') != std::string_view::npos) return false;
    return append({name, "=\"", value, "\""});
}

bool VarListWriter::add_int(std::string_view name, int64_t value) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    return append({name, "=", std::string_view(digits, static_cast<std::size_t>(end - digits))});
}

bool VarListWriter::add_fixed(std::string_view name, int64_t scaled_value, int decimals) {
    decimals = std::clamp(decimals, 0, 18);
    uint64_t scale = 1;
    for (int i = 0; i < decimals; ++i) scale *= 10;
    // Magnitude as unsigned so INT64_MIN is representable.
    const uint64_t magnitude = scaled_value < 0 ? uint64_t{0} - static_cast<uint64_t>(scaled_value)
                                                : static_cast<uint64_t>(scaled_value);
    char text[48];
    char* p = text;
    if (scaled_value < 0) *p++ = '-';
    p = std::to_chars(p, text + sizeof text, magnitude / scale).ptr;
    if (decimals > 0) {
        *p++ = '.';
        char frac[24];
        const char* fend = std::to_chars(frac, frac + sizeof frac, magnitude % scale).ptr;
        const auto flen = static_cast<int>(fend - frac);
        for (int i = flen; i < decimals; ++i) *p++ = '0';
        std::memcpy(p, frac, static_cast<std::size_t>(flen));
        p += flen;
    }
    return append({name, "=", std::string_view(text, static_cast<std::size_t>(p - text))});
}

bool VarListWriter::add_hex(std::string_view name, uint64_t value, int digits) {
    digits = std::clamp(digits, 1, 16);
    static constexpr char kHex[] = "0123456789abcdef";
    char text[18] = {'0', 'x'};
    for (int i = 0; i < digits; ++i) text[2 + i] = kHex[(value >> (4 * (digits - 1 - i))) & 0xf];
    return append({name, "=", std::string_view(text, static_cast<std::size_t>(2 + digits))});
}

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<VarListReader::Variable> VarListReader::next() {
    // Skip separators and empty items (",," or trailing ", ").
    while (!rest_.empty() && (is_space(rest_.front()) || rest_.front() == ','))
        rest_.remove_prefix(1);
    if (rest_.empty()) return std::nullopt;
    const std::size_t name_end = rest_.find_first_of("=,");
    Variable v;
    v.name = trim(rest_.substr(0, name_end));
    if (name_end == std::string_view::npos || rest_[name_end] == ',') {
        rest_ =
            name_end == std::string_view::npos ? std::string_view{} : rest_.substr(name_end + 1);
        return v;
    }
    rest_.remove_prefix(name_end + 1);
    while (!rest_.empty() && is_space(rest_.front())) rest_.remove_prefix(1);
    if (!rest_.empty() && rest_.front() == '"') {
        const std::size_t close = rest_.find('"', 1);
        if (close == std::string_view::npos) {  // unterminated quote: take the rest, end the list
            v.value = rest_.substr(1);
            rest_ = {};
            return v;
        }
        v.value = rest_.substr(1, close - 1);
        rest_.remove_prefix(close + 1);
        const std::size_t comma = rest_.find(',');  // ignore junk up to the next separator
        rest_ = comma == std::string_view::npos ? std::string_view{} : rest_.substr(comma + 1);
        return v;
    }
    const std::size_t comma = rest_.find(',');
    v.value = trim(rest_.substr(0, comma));
    rest_ = comma == std::string_view::npos ? std::string_view{} : rest_.substr(comma + 1);
    return v;
}

}  // namespace ntplite::proto
