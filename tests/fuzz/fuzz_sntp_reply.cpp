// libFuzzer target for ntpq-lite's SNTP reply judgement (evaluate_reply). The first 8 bytes pick
// the request's cookie and local times; the rest is the datagram, checked twice: as is, and
// with its origin field patched to the cookie (a reply that passes the origin check).
// Properties: never crashes or overflows; an accepted sample has a sane delay and echoes the
// cookie; a foreign origin is never accepted.
// clang-format off
// fuzz-sources: tools/ntpq/sntp_reply.cpp proto/packet.cpp proto/refid.cpp proto/md5.cpp proto/checks.cpp proto/exchange.cpp
// clang-format on
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tools/ntpq/sntp_reply.hpp"

using namespace ntplite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    tools::RequestContext ctx;
    ctx.transmit_cookie = proto::NtpTimestamp{in.ConsumeIntegral<uint64_t>() | 1};
    ctx.last_accepted_transmit = proto::NtpTimestamp{in.ConsumeIntegral<uint64_t>()};
    ctx.t1_unix_ns = in.ConsumeIntegralInRange<int64_t>(0, int64_t{1} << 62);
    ctx.t4_unix_ns =
        ctx.t1_unix_ns + in.ConsumeIntegralInRange<int64_t>(-1'000'000'000, 100'000'000'000);
    std::vector<uint8_t> bytes = in.ConsumeRemainingBytes<uint8_t>();
    auto v = tools::evaluate_reply(std::as_bytes(std::span(bytes)), ctx);
    if (v.kind == tools::ReplyVerdict::Kind::kAccepted) {
        auto p = proto::parse(std::as_bytes(std::span(bytes)));
        if (!p || !(p->origin == ctx.transmit_cookie)) std::abort();
    }
    if (bytes.size() >= 48) {
        const uint64_t cookie = ctx.transmit_cookie.raw;
        for (int i = 0; i < 8; ++i) bytes[24 + i] = static_cast<uint8_t>(cookie >> (56 - 8 * i));
        v = tools::evaluate_reply(std::as_bytes(std::span(bytes)), ctx);
        if (v.kind == tools::ReplyVerdict::Kind::kAccepted && v.sample.delay_ns < -2'000'000'000)
            std::abort();
    }
    return 0;
}
