// The server's authentication path allocates nothing per packet: malloc/calloc/realloc are
// interposed in this executable and counted while ServerAuth checks requests and seals replies
// with every key type (after one warm-up packet per key, which may let libcrypto finish any
// lazy set-up). Exit 0 if the count is 0. A plain program, not GoogleTest, so nothing else runs
// in between.
#include <cstddef>
#include <cstdio>
#include <memory>
#include <vector>

#include "proto/auth/mac.hpp"
#include "proto/auth/server.hpp"
#include "proto/wire.hpp"

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);

static bool g_counting = false;
static unsigned long g_allocs = 0;

extern "C" void* malloc(std::size_t n) {
    if (g_counting) ++g_allocs;
    return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t a, std::size_t b) {
    if (g_counting) ++g_allocs;
    return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, std::size_t n) {
    if (g_counting) ++g_allocs;
    return __libc_realloc(p, n);
}

using namespace ntplite;

int main() {
    auto parsed = auth::parse_key_file(
        "1 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
        "2 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70\n"
        "3 MD5 ASCII:crocus\n"
        "4 AES256 HEX:37DDCBC67BB902BCB8E995977FAB4D2B5642F5B32EBCEEE421921D97E5CBFE39\n",
        "test");
    if (!parsed) return 2;
    auto keys = std::make_shared<const auth::KeySet>(std::move(*parsed));
    auth::ServerAuth server(keys);
    auth::MacEngine client(*keys);
    std::vector<std::vector<std::byte>> requests;
    for (uint32_t id = 1; id <= 4; ++id) {
        proto::Packet p;
        p.mode = proto::Mode::kClient;
        p.transmit = proto::NtpTimestamp{0x1234 + id};
        std::vector<std::byte> req(proto::kMaxPacketSize);
        proto::serialize(p, req);
        proto::wire::store_be32(req, 48, id);
        const std::size_t n = client.compute(*client.index_of(id), std::span(req).first(48),
                                             std::span(req).subspan(52));
        req.resize(52 + n);
        requests.push_back(std::move(req));
    }
    std::vector<std::byte> reply(proto::kMaxPacketSize);
    auto one_round = [&]() -> bool {
        for (const auto& req : requests) {
            auto p = proto::parse(req);
            auth::ReplySeal seal;
            if (!p || server.check_request(req, *p, &seal) != auth::RequestAuth::kValidMac)
                return false;
            std::copy_n(req.begin(), 48, reply.begin());
            if (server.seal_reply(seal, reply, 48) != req.size()) return false;
        }
        return true;
    };
    if (!one_round()) return 3;  // warm-up
    g_counting = true;
    bool ok = true;
    for (int i = 0; i < 1000 && ok; ++i) ok = one_round();
    g_counting = false;
    std::printf("auth check+seal, 4 key types x 1000 packets: %lu allocations\n", g_allocs);
    if (!ok) return 3;
    return g_allocs == 0 ? 0 : 1;
}
