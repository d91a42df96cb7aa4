// libFuzzer target for the server's authentication of a request (serve_one with a ServerAuth),
// the hot path's trailer classification and MAC check.
// The first input byte chooses whether the fuzzer's datagram gets a correct MAC appended with one
// of the test keys (so the valid path is reached as well as every malformed one).
// Properties: never crashes; a reply is never longer than the request; a request with any
// trailer is answered only with a seal (a valid MAC by a key we have), and then the sealed reply
// is exactly as long as the request and opens with the client authenticator of that key; a
// request with a trailer and no valid MAC is never answered (unauthenticated replies never go
// out).
// clang-format off
// fuzz-sources: proto/auth/keys.cpp proto/auth/mac.cpp proto/auth/tail.cpp proto/auth/server.cpp proto/auth/client.cpp daemon/policy/server/serve.cpp daemon/policy/server/counters.cpp daemon/policy/server/acl.cpp daemon/policy/server/rate_limiter.cpp daemon/policy/server/client_table.cpp config/net.cpp config/text.cpp proto/packet.cpp proto/respond.cpp proto/refid.cpp proto/md5.cpp proto/checks.cpp proto/exchange.cpp
// fuzz-flags: -lcrypto
// clang-format on
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "daemon/policy/server/serve.hpp"
#include "proto/auth/client.hpp"
#include "proto/auth/mac.hpp"
#include "proto/auth/server.hpp"
#include "proto/wire.hpp"

using namespace ntplite;

namespace {

void require(bool ok) {
    if (!ok) std::abort();
}

std::shared_ptr<const auth::KeySet> test_keys() {
    auto k = auth::parse_key_file(
        "1 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
        "2 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70\n"
        "3 MD5 ASCII:crocus\n"
        "4 AES256 HEX:37DDCBC67BB902BCB8E995977FAB4D2B5642F5B32EBCEEE421921D97E5CBFE39\n",
        "fuzz");
    require(k.has_value());
    return std::make_shared<const auth::KeySet>(std::move(*k));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::shared_ptr<const auth::KeySet> keys = test_keys();
    static auth::ServerAuth server(keys);
    static auth::MacEngine signer(*keys);
    if (size < 1) return 0;
    const uint8_t mode = data[0];
    std::vector<std::byte> req(reinterpret_cast<const std::byte*>(data + 1),
                               reinterpret_cast<const std::byte*>(data + size));
    // mode 1..4: append key id + a correct MAC with key `mode`.
    if (mode >= 1 && mode <= 4 && req.size() <= proto::kMaxPacketSize - 24) {
        const std::size_t at = req.size();
        const std::size_t index = *signer.index_of(mode);
        const std::size_t digest = auth::digest_bytes(keys->keys()[index].type);
        req.resize(at + 4 + digest);
        proto::wire::store_be32(req, at, mode);
        require(signer.compute(index, std::span(req).first(at), std::span(req).subspan(at + 4)) ==
                digest);
    }
    daemon::ServerCounters counters;
    daemon::ServeContext ctx;
    ctx.counters = &counters;
    ctx.auth = &server;
    proto::SystemState state;
    state.leap = proto::LeapIndicator::kNone;
    state.stratum = 2;
    std::array<std::byte, proto::kMaxPacketSize> reply{};
    auth::ReplySeal seal;
    const std::size_t n = daemon::serve_one(req, false, config::IpAddress{}, proto::NtpTimestamp{1},
                                            0, state, ctx, reply, &seal);
    require(n <= req.size());
    if (n == 0) return 0;
    auto parsed = proto::parse(req);
    require(parsed.has_value());
    const bool has_trailer = parsed->mac_bytes != 0 || parsed->extension_bytes != 0;
    if (!has_trailer) {
        require(seal.kind == auth::AuthKind::kNone);
        return 0;
    }
    // Answered with a trailer: only with a valid MAC, sealed with the same key.
    require(seal.kind == auth::AuthKind::kKey);
    const std::size_t sealed = server.seal_reply(seal, reply, n);
    require(sealed == req.size());
    auto client = auth::make_client_authenticator({auth::AuthKind::kKey, seal.key_id}, {keys});
    require(client->open(std::span(reply).first(sealed)) == auth::AuthFailure::kNone);
    return 0;
}
