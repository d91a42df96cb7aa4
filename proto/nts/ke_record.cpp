#include "proto/nts/ke_record.hpp"

#include <algorithm>
#include <cstring>

namespace ntplite::proto::nts {
namespace {

uint16_t be16(std::span<const std::byte> b, std::size_t at) {
    return static_cast<uint16_t>((std::to_integer<unsigned>(b[at]) << 8) |
                                 std::to_integer<unsigned>(b[at + 1]));
}

void put16(std::span<std::byte> b, std::size_t at, uint16_t v) {
    b[at] = std::byte(v >> 8);
    b[at + 1] = std::byte(v & 0xFF);
}

constexpr uint16_t kCriticalBit = 0x8000;

// A body made of 16-bit values: non-empty and of even size.
bool u16_body(const Record& r) {
    return !r.body.empty() && r.body.size() % 2 == 0;
}

}  // namespace

std::string_view to_string(FramingError e) {
    switch (e) {
        case FramingError::kIncomplete:
            return "incomplete";
        case FramingError::kTooLong:
            return "too long";
        case FramingError::kBadEnd:
            return "bad end of message";
        case FramingError::kTrailing:
            return "data after end of message";
    }
    return "?";
}

std::string_view to_string(KeRequestError e) {
    switch (e) {
        case KeRequestError::kMalformed:
            return "malformed";
        case KeRequestError::kUnrecognizedCritical:
            return "unrecognized critical record";
        case KeRequestError::kMissingNextProtocol:
            return "no next protocol";
        case KeRequestError::kDuplicateRecord:
            return "duplicate record";
        case KeRequestError::kMissingAead:
            return "no AEAD algorithm";
        case KeRequestError::kResponseRecord:
            return "response record in request";
    }
    return "?";
}

std::string_view to_string(KeResponseError e) {
    switch (e) {
        case KeResponseError::kMalformed:
            return "malformed";
        case KeResponseError::kUnrecognizedCritical:
            return "unrecognized critical record";
        case KeResponseError::kServerError:
            return "server error";
        case KeResponseError::kNoNtpV4:
            return "no NTPv4";
        case KeResponseError::kBadAead:
            return "bad AEAD";
        case KeResponseError::kNoCookies:
            return "no cookies";
        case KeResponseError::kBadServerName:
            return "bad server name";
    }
    return "?";
}

KeErrorCode error_code_for(KeRequestError e) {
    return e == KeRequestError::kUnrecognizedCritical ? KeErrorCode::kUnrecognizedCritical
                                                      : KeErrorCode::kBadRequest;
}

std::expected<std::size_t, FramingError> message_length(std::span<const std::byte> stream) {
    std::size_t at = 0;
    while (at + kKeRecordHeader <= stream.size() && at + kKeRecordHeader <= kKeMaxMessage) {
        const uint16_t type = be16(stream, at) & ~kCriticalBit;
        const bool critical = (be16(stream, at) & kCriticalBit) != 0;
        const std::size_t body = be16(stream, at + 2);
        const std::size_t end = at + kKeRecordHeader + body;
        if (end > kKeMaxMessage) return std::unexpected(FramingError::kTooLong);
        if (type == uint16_t(RecordType::kEndOfMessage)) {
            if (body != 0 || !critical) return std::unexpected(FramingError::kBadEnd);
            if (end < stream.size()) return std::unexpected(FramingError::kTrailing);
            return end;
        }
        if (end > stream.size()) break;
        at = end;
    }
    if (stream.size() >= kKeMaxMessage) return std::unexpected(FramingError::kTooLong);
    return std::unexpected(FramingError::kIncomplete);
}

std::optional<Record> RecordReader::next() {
    if (rest_.size() < kKeRecordHeader) {
        truncated_ = truncated_ || !rest_.empty();
        return std::nullopt;
    }
    const uint16_t first = be16(rest_, 0);
    const std::size_t body = be16(rest_, 2);
    if (kKeRecordHeader + body > rest_.size()) {
        truncated_ = true;
        return std::nullopt;
    }
    Record r{(first & kCriticalBit) != 0, uint16_t(first & ~kCriticalBit),
             rest_.subspan(kKeRecordHeader, body)};
    rest_ = rest_.subspan(kKeRecordHeader + body);
    return r;
}

std::expected<KeRequest, KeRequestError> parse_request(std::span<const std::byte> message) {
    KeRequest req;
    bool seen_protocol = false, seen_aead = false, seen_end = false;
    RecordReader reader(message);
    while (auto r = reader.next()) {
        if (seen_end) return std::unexpected(KeRequestError::kMalformed);
        switch (RecordType(r->type)) {
            case RecordType::kEndOfMessage:
                seen_end = true;
                break;
            case RecordType::kNextProtocol:
                if (seen_protocol) return std::unexpected(KeRequestError::kDuplicateRecord);
                if (!u16_body(*r)) return std::unexpected(KeRequestError::kMalformed);
                seen_protocol = true;
                for (std::size_t i = 0; i < r->body.size(); i += 2)
                    req.ntpv4 = req.ntpv4 || be16(r->body, i) == kProtocolNtpV4;
                break;
            case RecordType::kAeadAlgorithm:
                if (seen_aead) return std::unexpected(KeRequestError::kDuplicateRecord);
                if (!u16_body(*r)) return std::unexpected(KeRequestError::kMalformed);
                seen_aead = true;
                for (std::size_t i = 0; i < r->body.size() && req.aead_count < kKeMaxAeads; i += 2)
                    req.aeads[req.aead_count++] = be16(r->body, i);
                break;
            case RecordType::kError:
            case RecordType::kWarning:
            case RecordType::kNewCookie:
                return std::unexpected(KeRequestError::kResponseRecord);
            case RecordType::kServer:
            case RecordType::kPort:
                // A client may suggest these (RFC 8915 4.1.7/4.1.8); we answer with our own.
                break;
            default:
                if (r->critical) return std::unexpected(KeRequestError::kUnrecognizedCritical);
                break;
        }
    }
    if (reader.truncated() || !seen_end) return std::unexpected(KeRequestError::kMalformed);
    if (!seen_protocol) return std::unexpected(KeRequestError::kMissingNextProtocol);
    if (!seen_aead) return std::unexpected(KeRequestError::kMissingAead);
    return req;
}

std::expected<void, KeResponseError> parse_response(std::span<const std::byte> message,
                                                    std::span<const uint16_t> offered_aeads,
                                                    KeResponse& out, uint16_t* error_code) {
    out.cookie_count = 0;
    out.server_size = 0;
    out.port.reset();
    out.cookies_dropped = 0;
    bool seen_protocol = false, seen_aead = false, seen_end = false, protocol_ok = false;
    bool aead_ok = false;
    RecordReader reader(message);
    while (auto r = reader.next()) {
        if (seen_end) return std::unexpected(KeResponseError::kMalformed);
        switch (RecordType(r->type)) {
            case RecordType::kEndOfMessage:
                seen_end = true;
                break;
            case RecordType::kNextProtocol:
                // Exactly one protocol, NTPv4, exactly once (RFC 8915 4.1.2).
                if (seen_protocol) return std::unexpected(KeResponseError::kNoNtpV4);
                seen_protocol = true;
                protocol_ok = r->body.size() == 2 && be16(r->body, 0) == kProtocolNtpV4;
                break;
            case RecordType::kError:
                if (r->body.size() != 2) return std::unexpected(KeResponseError::kMalformed);
                if (error_code) *error_code = be16(r->body, 0);
                return std::unexpected(KeResponseError::kServerError);
            case RecordType::kWarning:
                // Unknown warnings are not fatal (RFC 8915 4.1.4); none are defined.
                break;
            case RecordType::kAeadAlgorithm: {
                if (seen_aead || r->body.size() != 2)
                    return std::unexpected(KeResponseError::kBadAead);
                seen_aead = true;
                const uint16_t id = be16(r->body, 0);
                aead_ok = std::ranges::find(offered_aeads, id) != offered_aeads.end();
                out.aead = id;
                break;
            }
            case RecordType::kNewCookie:
                if (r->body.empty() || r->body.size() > kKeMaxCookieSize ||
                    out.cookie_count == kKeMaxCookies) {
                    ++out.cookies_dropped;
                    break;
                }
                std::memcpy(out.cookies[out.cookie_count].data(), r->body.data(), r->body.size());
                out.cookie_sizes[out.cookie_count++] = uint16_t(r->body.size());
                break;
            case RecordType::kServer:
                if (r->body.empty() || r->body.size() > kKeMaxServerName)
                    return std::unexpected(KeResponseError::kBadServerName);
                for (std::byte b : r->body) {
                    const auto c = std::to_integer<unsigned char>(b);
                    if (c <= 0x20 || c >= 0x7F)  // ASCII host name or address literal only
                        return std::unexpected(KeResponseError::kBadServerName);
                }
                std::memcpy(out.server.data(), r->body.data(), r->body.size());
                out.server_size = r->body.size();
                break;
            case RecordType::kPort:
                if (r->body.size() != 2) return std::unexpected(KeResponseError::kMalformed);
                out.port = be16(r->body, 0);
                break;
            default:
                if (r->critical) return std::unexpected(KeResponseError::kUnrecognizedCritical);
                break;
        }
    }
    if (reader.truncated() || !seen_end) return std::unexpected(KeResponseError::kMalformed);
    if (!seen_protocol || !protocol_ok) return std::unexpected(KeResponseError::kNoNtpV4);
    if (!seen_aead || !aead_ok) return std::unexpected(KeResponseError::kBadAead);
    if (out.cookie_count == 0) return std::unexpected(KeResponseError::kNoCookies);
    return {};
}

bool RecordWriter::record(bool critical, uint16_t type, std::span<const std::byte> body) {
    if (!ok_ || body.size() > 0xFFFF || out_.size() - size_ < kKeRecordHeader + body.size()) {
        ok_ = false;
        return false;
    }
    put16(out_, size_, uint16_t((critical ? kCriticalBit : 0) | (type & ~kCriticalBit)));
    put16(out_, size_ + 2, uint16_t(body.size()));
    if (!body.empty()) std::memcpy(out_.data() + size_ + kKeRecordHeader, body.data(), body.size());
    size_ += kKeRecordHeader + body.size();
    return true;
}

bool RecordWriter::u16_list(bool critical, uint16_t type, std::span<const uint16_t> values) {
    std::array<std::byte, 2 * kKeMaxAeads> body{};
    if (values.size() > kKeMaxAeads) {
        ok_ = false;
        return false;
    }
    for (std::size_t i = 0; i < values.size(); ++i) put16(body, 2 * i, values[i]);
    return record(critical, type, std::span(body).first(2 * values.size()));
}

std::size_t write_request(std::span<std::byte> out, std::span<const uint16_t> aeads) {
    RecordWriter w(out);
    const uint16_t ntp = kProtocolNtpV4;
    w.u16_list(true, uint16_t(RecordType::kNextProtocol), std::span(&ntp, 1));
    w.u16_list(true, uint16_t(RecordType::kAeadAlgorithm), aeads);
    w.end_of_message();
    return w.ok() ? w.size() : 0;
}

std::size_t write_response(std::span<std::byte> out, uint16_t aead,
                           std::span<const std::span<const std::byte>> cookies,
                           std::string_view server, std::optional<uint16_t> port) {
    RecordWriter w(out);
    const uint16_t ntp = kProtocolNtpV4;
    w.u16_list(true, uint16_t(RecordType::kNextProtocol), std::span(&ntp, 1));
    w.u16_list(true, uint16_t(RecordType::kAeadAlgorithm), std::span(&aead, 1));
    if (!server.empty())
        w.record(true, uint16_t(RecordType::kServer), std::as_bytes(std::span(server)));
    if (port) w.u16_list(true, uint16_t(RecordType::kPort), std::span(&*port, 1));
    for (auto c : cookies) w.record(false, uint16_t(RecordType::kNewCookie), c);
    w.end_of_message();
    return w.ok() ? w.size() : 0;
}

std::size_t write_error(std::span<std::byte> out, KeErrorCode code) {
    RecordWriter w(out);
    const uint16_t c = uint16_t(code);
    w.u16_list(true, uint16_t(RecordType::kError), std::span(&c, 1));
    w.end_of_message();
    return w.ok() ? w.size() : 0;
}

}  // namespace ntplite::proto::nts
