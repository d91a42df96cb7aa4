// libFuzzer target for NTS extension fields in NTP packets (RFC 8915 section 5) and the server's
// per-packet path: parse_nts_fields never crashes; fields stay inside the packet; the server's
// check on arbitrary bytes never authenticates without a valid cookie (it holds no matching
// key), and a NAK written for any input is bounded by the packet buffer.
// clang-format off
// fuzz-sources: proto/nts/ke_record.cpp proto/nts/extension.cpp proto/nts/crypto/aes_ni.cpp proto/nts/crypto/aes_siv.cpp proto/nts/crypto/cookie.cpp proto/nts/crypto/nts_packet.cpp
// fuzz-flags: -DFMT_HEADER_ONLY=1 -lcrypto
// clang-format on
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "proto/nts/crypto/nts_packet.hpp"
#include "proto/nts/extension.hpp"

using namespace ntplite::proto::nts;

namespace {
void require(bool ok) {
    if (!ok) std::abort();
}
bool inside(std::span<const std::byte> part, std::span<const std::byte> whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto packet = std::as_bytes(std::span(data, size));
    for (bool request : {true, false}) {
        const auto f = parse_nts_fields(packet, request);
        if (!f) continue;
        require(inside(f->unique_id, packet) && f->unique_id.size() >= kUniqueIdSize);
        require(inside(f->cookie, packet) && inside(f->auth.nonce, packet) &&
                inside(f->auth.ciphertext, packet));
        require(f->authenticated_size >= kNtpHeaderSize && f->authenticated_size < size);
        require(f->auth.ciphertext.size() >= kSivTagSize);
    }
    ExtensionReader reader(packet);
    while (auto ef = reader.next()) require(ef->offset + ef->size <= size && ef->size >= 16);

    static NtsServer server;
    static KeyRing ring = [] {
        KeyRing r;
        MasterKey k;
        k.id = 1;
        r.add(k);
        return r;
    }();
    ServerRequest req;
    const ServerVerdict v = server.check(ring, packet, req);
    // Forging a cookie under the (all-zero) fuzz key is not expected from random bytes; if the
    // fuzzer ever does it, the reply must still be bounded by the request.
    static std::array<std::byte, 1024> out{};
    if (v == ServerVerdict::kAuthenticated) {
        out.fill(std::byte{0});
        const std::size_t n = server.write_reply(ring, req, out);
        require(n <= size);
    }
    if (size >= kNtpHeaderSize) {
        const std::size_t n = NtsServer::write_nak(packet, out);
        require(n <= out.size());
    }
    return 0;
}
