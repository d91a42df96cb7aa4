// The server's NTS path allocates nothing per packet: malloc/calloc/realloc are interposed in this
// executable and counted while a worker's NtsServerHandler checks requests and seals replies:
// chrony-shaped requests (one cookie, no placeholders) and requests asking for more cookies, for
// both AEADs, an unknown-cookie request (NAK) and a tampered one (bad authenticator, NAK). After
// one warm-up round, which may let libcrypto finish lazy set-up; the 2000 rounds cross several of
// the reply nonce batches. Exit 0 if the count is 0. A plain program, not GoogleTest, so nothing
// else runs in between.
#include <array>
#include <cstddef>
#include <cstdio>
#include <vector>

#include "proto/nts/crypto/server_handler.hpp"

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

using namespace ntplite::proto::nts;
using Verdict = NtsServerHandler::Verdict;

namespace {

struct Request {
    std::vector<std::byte> bytes;
    Verdict expected;
};

// A client request with `cookies_in_pool` cookies made under `ring` (the pool is refilled by
// asking for 8 - cookies_in_pool more).
std::vector<std::byte> make_request(const KeyRing& ring, uint16_t aead, int cookies_in_pool) {
    AesSiv client_aead;
    NtsClientSession client;
    SessionKeys keys;
    keys.aead = aead;
    for (std::size_t i = 0; i < keys.c2s.size(); ++i) {
        keys.c2s[i] = std::byte(i + 1);
        keys.s2c[i] = std::byte(i + 101);
    }
    client.reset(keys);
    std::array<std::byte, kMaxOurCookieSize> c{};
    std::array<std::byte, kCookieNonceSize> nonce{};
    for (int i = 0; i < cookies_in_pool; ++i) {
        nonce[0] = std::byte(i);
        client.cookies().push(std::span(c).first(make_cookie(client_aead, ring, nonce, keys, c)));
    }
    std::vector<std::byte> req(1024);
    req[0] = std::byte{0x23};
    req.resize(client.write_request(client_aead, req));
    return req;
}

}  // namespace

int main() {
    KeyRing ring, other;
    MasterKey k;
    k.id = 7;
    k.key.fill(std::byte{0x5A});
    ring.add(k);
    k.id = 8;  // a key the server does not have: its cookies get a NAK
    other.add(k);

    std::vector<Request> requests;
    for (uint16_t aead : {kAeadAesSivCmac256, kAeadAesSivCmac512}) {
        requests.push_back({make_request(ring, aead, 8), Verdict::kReply});
        // A short pool asks for more cookies (placeholders up to the 1024-byte datagram).
        requests.push_back(
            {make_request(ring, aead, aead == kAeadAesSivCmac256 ? 1 : 5), Verdict::kReply});
    }
    requests.push_back({make_request(other, kAeadAesSivCmac256, 8), Verdict::kNak});
    auto tampered = make_request(ring, kAeadAesSivCmac256, 8);
    tampered[40] ^= std::byte{1};  // transmit timestamp: covered by the authenticator
    requests.push_back({tampered, Verdict::kNak});
    for (const auto& r : requests)
        if (r.bytes.empty()) {
            std::printf("could not build request %zu\n", &r - requests.data());
            return 2;
        }

    NtsServerHandler handler;
    handler.set_ring(ring);
    std::array<std::byte, 1024> reply{};
    auto one_round = [&]() -> bool {
        for (const auto& r : requests) {
            uint32_t slot = 0;
            std::size_t size = 0;
            if (handler.check(r.bytes, reply.size(), &slot, &size) != r.expected) return false;
            std::copy_n(r.bytes.begin(), 48, reply.begin());
            if (handler.seal(slot, reply) != size || size == 0 || size > r.bytes.size())
                return false;
        }
        return true;
    };
    if (!one_round()) return 3;  // warm-up
    g_counting = true;
    bool ok = true;
    for (int i = 0; i < 2000 && ok; ++i) ok = one_round();
    g_counting = false;
    std::printf("NTS check+seal, %zu request kinds x 2000 packets: %lu allocations\n",
                requests.size(), g_allocs);
    if (!ok) return 3;
    return g_allocs == 0 ? 0 : 1;
}
