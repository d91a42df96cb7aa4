// libFuzzer target for the NTS-KE record codec (RFC 8915 section 4).
// Properties: framing and both parsers never crash or read out of bounds; a parsed request's
// AEADs are written back by write_request into a message that parses to the same request; a
// parsed response's cookies are bounded and re-encode into a response that parses the same.
// clang-format off
// fuzz-sources: proto/nts/ke_record.cpp
// clang-format on
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "proto/nts/ke_record.hpp"

using namespace ntplite::proto::nts;

namespace {
void require(bool ok) {
    if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto input = std::as_bytes(std::span(data, size));
    const auto len = message_length(input);
    if (len) require(*len <= input.size() && *len <= kKeMaxMessage);
    const auto msg = len ? input.first(*len) : input;

    if (auto req = parse_request(msg)) {
        require(req->aead_count <= kKeMaxAeads);
        std::array<std::byte, 64> out{};
        const std::size_t n = write_request(out, std::span(req->aeads).first(req->aead_count));
        require(n > 0);
        const auto again = parse_request(std::span(out).first(n));
        require(again && again->ntpv4 && again->aead_count == req->aead_count);
        require(message_length(std::span(out).first(n)).value() == n);
    }

    static KeResponse resp;  // large (2 KiB of cookies): keep it off the stack
    const uint16_t offered[] = {kAeadAesSivCmac256, kAeadAesSivCmac512};
    uint16_t code = 0;
    if (parse_response(msg, offered, resp, &code)) {
        require(resp.cookie_count >= 1 && resp.cookie_count <= kKeMaxCookies);
        require(resp.server_size <= kKeMaxServerName);
        std::array<std::span<const std::byte>, kKeMaxCookies> cookies{};
        for (std::size_t i = 0; i < resp.cookie_count; ++i) {
            require(resp.cookie_sizes[i] >= 1 && resp.cookie_sizes[i] <= kKeMaxCookieSize);
            cookies[i] = std::span(resp.cookies[i]).first(resp.cookie_sizes[i]);
        }
        static std::array<std::byte, kKeMaxMessage> out{};
        const std::size_t n =
            write_response(out, resp.aead, std::span(cookies).first(resp.cookie_count),
                           resp.server_name(), resp.port);
        require(n > 0);
        static KeResponse again;
        require(parse_response(std::span(out).first(n), offered, again).has_value());
        require(again.cookie_count == resp.cookie_count && again.aead == resp.aead &&
                again.port == resp.port && again.server_name() == resp.server_name());
    }
    RecordReader reader(input);
    std::size_t records = 0;
    while (auto r = reader.next()) {
        require(r->body.size() <= 0xFFFF);
        ++records;
    }
    require(records <= size / kKeRecordHeader);
    return 0;
}
