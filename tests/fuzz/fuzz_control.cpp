// libFuzzer target for the mode 6 control codec (RFC 9327).
// Properties: parse never crashes; parse -> serialize -> parse agrees on the header and data;
// fragmenting the input as response data reassembles to it; the var list reader terminates.
// fuzz-sources: proto/control.cpp
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

#include "proto/control.hpp"

using namespace ntplite::proto;

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

void check_round_trip(std::span<const std::byte> input) {
    const auto m = parse_control(input);
    if (!m) return;
    require(m->data.size() == m->header.count && m->data.size() <= kControlMaxData);
    std::array<std::byte, kControlHeaderSize + kControlMaxData> out{};
    const std::size_t len = serialize_control(m->header, m->data, out);
    require(len >= kControlHeaderSize && len % 4 == 0);
    const auto again = parse_control(std::span(out).first(len));
    require(again.has_value());
    require(again->header == m->header);
    require(std::memcmp(again->data.data(), m->data.data(), m->data.size()) == 0 ||
            m->data.empty());
}

void check_fragments(std::span<const std::byte> total) {
    ControlHeader request;
    request.opcode = static_cast<uint8_t>(ControlOpcode::kReadVariables);
    request.sequence = static_cast<uint16_t>(total.size());
    const std::size_t n = control_fragment_count(total.size());
    std::size_t reassembled = 0;
    for (std::size_t i = 0; i < n; ++i) {
        std::array<std::byte, kControlHeaderSize + kControlMaxData> out{};
        const std::size_t len = control_fragment(request, 0x0615, false, total, i, out);
        require(len > 0);
        const auto m = parse_control(std::span(out).first(len));
        require(m.has_value() && m->header.response && m->header.more == (i + 1 < n));
        require(m->header.offset == reassembled);
        require(m->data.empty() ||
                std::memcmp(m->data.data(), total.data() + reassembled, m->data.size()) == 0);
        reassembled += m->data.size();
    }
    require(reassembled == total.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto input = std::as_bytes(std::span(data, size));
    check_round_trip(input);
    check_fragments(input);
    VarListReader reader(std::string_view(reinterpret_cast<const char*>(data), size));
    std::size_t vars = 0;
    while (reader.next()) require(++vars <= size);
    return 0;
}
