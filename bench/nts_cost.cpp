// CPU cost of the NTS server's per-packet work (bench only, not a test): a chrony-shaped request
// (unique id, one cookie, no placeholders, authenticator) checked and answered with one new
// cookie, N times on one core. Build: see bench/RESULTS.md "NTS".
#include <chrono>
#include <cstdio>

#include "proto/nts/crypto/server_handler.hpp"

using namespace ntplite::proto::nts;

int main() {
    KeyRing ring;
    MasterKey k;
    k.id = 1;
    ring.add(k);
    AesSiv aead;
    NtsClientSession client;
    SessionKeys keys;
    keys.aead = kAeadAesSivCmac256;
    client.reset(keys);
    std::array<std::byte, kMaxOurCookieSize> c{};
    std::array<std::byte, kCookieNonceSize> nonce{};
    for (int i = 0; i < 8; ++i)
        client.cookies().push(std::span(c).first(make_cookie(aead, ring, nonce, keys, c)));
    std::array<std::byte, 1024> req{}, rep{};
    req[0] = std::byte{0x23};
    const std::size_t n = client.write_request(aead, req);
    NtsServerHandler h;
    h.set_ring(ring);
    constexpr int kN = 200000;
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t total = 0;
    for (int i = 0; i < kN; ++i) {
        uint32_t slot;
        std::size_t size;
        if (h.check(std::span(req).first(n), rep.size(), &slot, &size) !=
            NtsServerHandler::Verdict::kReply)
            return 1;
        total += h.seal(slot, rep);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "request %zu bytes, reply %zu bytes: %.2f us per NTS response (%.0f/s on one core)\n", n,
        total / kN, s / kN * 1e6, kN / s);
}
