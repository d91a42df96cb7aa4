// libFuzzer target for the NTP packet codec and the server reply.
// Properties: parse never crashes; parse -> serialize -> parse agrees on every header field and
// reproduces the input's 48 header bytes; respond() on anything parsed writes at most 48 bytes.
// clang-format off
// fuzz-sources: proto/packet.cpp proto/respond.cpp proto/refid.cpp proto/md5.cpp proto/checks.cpp proto/exchange.cpp
// clang-format on
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "proto/checks.hpp"
#include "proto/exchange.hpp"
#include "proto/packet.hpp"
#include "proto/refid.hpp"
#include "proto/respond.hpp"

using namespace ntplite::proto;

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto input = std::as_bytes(std::span(data, size));
    const auto parsed = parse(input);
    if (!parsed) return 0;
    const Packet& p = *parsed;
    require(size >= kHeaderSize && size <= kMaxPacketSize);
    require(kHeaderSize + p.extension_bytes + p.mac_bytes == size);

    std::array<std::byte, kHeaderSize> wire{};
    require(serialize(p, wire) == kHeaderSize);
    require(std::memcmp(wire.data(), data, kHeaderSize) == 0);
    const auto again = parse(wire);
    require(again.has_value());
    Packet header_only = p;
    header_only.extension_bytes = 0;
    header_only.mac_bytes = 0;
    require(*again == header_only);

    // The reply must never exceed 48 bytes, whatever the state; bytes past 48 stay untouched.
    std::array<std::byte, kMaxPacketSize> out{};
    out.fill(std::byte{0xA5});
    SystemState state;
    state.leap = p.leap;
    state.stratum = p.stratum;
    state.refid = p.refid;
    state.root_delay = p.root_delay;
    state.root_dispersion = p.root_dispersion;
    state.reference_time = p.reference;
    for (bool kiss : {false, true}) {
        std::size_t written = 12345;
        const RespondOutcome o = respond(p, p.receive, state, kiss, out, &written);
        require(written <= kHeaderSize);
        for (std::size_t i = kHeaderSize; i < out.size(); ++i) require(out[i] == std::byte{0xA5});
        if (o != RespondOutcome::kIgnoredNotClient) {
            require(written == kHeaderSize);
            const auto reply = parse(std::span(out).first(kHeaderSize));
            require(reply.has_value() && reply->mode == Mode::kServer &&
                    reply->origin == p.transmit);
            require(reply->version == p.version);
        }
    }

    // Exercise the rest of the pure API on arbitrary values: must not crash or trip UBSan.
    (void)check_response(p, p.origin, p.reference, 1'500'000'000);
    (void)kiss_code(p);
    (void)format_refid(p.refid, p.stratum);
    (void)compute_exchange(Exchange{p.reference, p.origin, p.receive, p.transmit});
    (void)p.transmit.to_unix_ns(static_cast<int64_t>(p.reference.raw));
    (void)PollInterval{p.poll_log2}.to_ns();
    return 0;
}
