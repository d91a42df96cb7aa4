#include "proto/nts/crypto/aes_ni.hpp"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NTPLITE_HAVE_AESNI 1
#include <immintrin.h>
#else
#define NTPLITE_HAVE_AESNI 0
#endif

namespace ntplite::proto::nts::aesni {

#if NTPLITE_HAVE_AESNI

// Only these functions use AES-NI; the rest of the program is built for the baseline CPU and
// available() decides at run time.
#define NTPLITE_AESNI_FN __attribute__((target("aes,sse2")))

namespace {

constexpr std::size_t kBlock = 16;

// AES round keys: 11 for AES-128, 15 for AES-256.
struct Schedule {
    __m128i rk[15];
};

// w0, w0^w1, w0^w1^w2, w0^w1^w2^w3: the running XOR a key expansion step needs.
NTPLITE_AESNI_FN inline __m128i spread(__m128i k) {
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, _mm_slli_si128(k, 4));
}

// FIPS 197 key expansion (AESKEYGENASSIST needs its round constant as an immediate, hence macros).
#define NTPLITE_EXP128(i, rcon)                  \
    s.rk[i] = _mm_xor_si128(spread(s.rk[i - 1]), \
                            _mm_shuffle_epi32(_mm_aeskeygenassist_si128(s.rk[i - 1], rcon), 0xff))
#define NTPLITE_EXP256_A(i, rcon)                \
    s.rk[i] = _mm_xor_si128(spread(s.rk[i - 2]), \
                            _mm_shuffle_epi32(_mm_aeskeygenassist_si128(s.rk[i - 1], rcon), 0xff))
#define NTPLITE_EXP256_B(i)                      \
    s.rk[i] = _mm_xor_si128(spread(s.rk[i - 2]), \
                            _mm_shuffle_epi32(_mm_aeskeygenassist_si128(s.rk[i - 1], 0x00), 0xaa))

NTPLITE_AESNI_FN void expand128(const std::byte* key, Schedule& s) {
    s.rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
    NTPLITE_EXP128(1, 0x01);
    NTPLITE_EXP128(2, 0x02);
    NTPLITE_EXP128(3, 0x04);
    NTPLITE_EXP128(4, 0x08);
    NTPLITE_EXP128(5, 0x10);
    NTPLITE_EXP128(6, 0x20);
    NTPLITE_EXP128(7, 0x40);
    NTPLITE_EXP128(8, 0x80);
    NTPLITE_EXP128(9, 0x1b);
    NTPLITE_EXP128(10, 0x36);
}

NTPLITE_AESNI_FN void expand256(const std::byte* key, Schedule& s) {
    s.rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
    s.rk[1] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16));
    NTPLITE_EXP256_A(2, 0x01);
    NTPLITE_EXP256_B(3);
    NTPLITE_EXP256_A(4, 0x02);
    NTPLITE_EXP256_B(5);
    NTPLITE_EXP256_A(6, 0x04);
    NTPLITE_EXP256_B(7);
    NTPLITE_EXP256_A(8, 0x08);
    NTPLITE_EXP256_B(9);
    NTPLITE_EXP256_A(10, 0x10);
    NTPLITE_EXP256_B(11);
    NTPLITE_EXP256_A(12, 0x20);
    NTPLITE_EXP256_B(13);
    NTPLITE_EXP256_A(14, 0x40);
}

#undef NTPLITE_EXP128
#undef NTPLITE_EXP256_A
#undef NTPLITE_EXP256_B

// One block; Rounds = 10 (AES-128) or 14 (AES-256).
template <int Rounds>
NTPLITE_AESNI_FN inline __m128i encrypt(const Schedule& s, __m128i x) {
    x = _mm_xor_si128(x, s.rk[0]);
    for (int r = 1; r < Rounds; ++r) x = _mm_aesenc_si128(x, s.rk[r]);
    return _mm_aesenclast_si128(x, s.rk[Rounds]);
}

// Four independent blocks interleaved (CTR), so the rounds' latencies overlap.
template <int Rounds>
NTPLITE_AESNI_FN inline void encrypt4(const Schedule& s, __m128i (&x)[4]) {
    for (auto& b : x) b = _mm_xor_si128(b, s.rk[0]);
    for (int r = 1; r < Rounds; ++r)
        for (auto& b : x) b = _mm_aesenc_si128(b, s.rk[r]);
    for (auto& b : x) b = _mm_aesenclast_si128(b, s.rk[Rounds]);
}

NTPLITE_AESNI_FN inline __m128i load(const std::byte* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
NTPLITE_AESNI_FN inline void store(std::byte* p, __m128i x) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
}

uint64_t load_be64(const std::byte* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | std::to_integer<uint64_t>(p[i]);
    return v;
}

// A block as two big-endian halves (`hi`: bytes 0-7) and back, in registers: a block stored
// byte by byte and reloaded whole would stall on store forwarding.
NTPLITE_AESNI_FN inline __m128i from_halves(uint64_t hi, uint64_t lo) {
    return _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(lo)),
                          static_cast<long long>(__builtin_bswap64(hi)));
}

// Multiplication by x in GF(2^128) (RFC 5297 "dbl"; the block is big-endian).
NTPLITE_AESNI_FN inline __m128i dbl(__m128i x) {
    const uint64_t hi = __builtin_bswap64(static_cast<uint64_t>(_mm_cvtsi128_si64(x)));
    const uint64_t lo =
        __builtin_bswap64(static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x))));
    return from_halves((hi << 1) | (lo >> 63), (lo << 1) ^ ((hi >> 63) ? 0x87 : 0));
}

// Zeroes secrets on the stack; the empty asm keeps the compiler from dropping the stores as
// dead (OPENSSL_cleanse's call through a volatile pointer costs more than these small blocks).
inline void wipe(void* p, std::size_t n) {
    std::memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

// AES-CMAC (RFC 4493) with its subkeys.
template <int Rounds>
struct Cmac {
    const Schedule& s;
    __m128i k1, k2;

    NTPLITE_AESNI_FN explicit Cmac(const Schedule& sched) : s(sched) {
        k1 = dbl(encrypt<Rounds>(s, _mm_setzero_si128()));
        k2 = dbl(k1);
    }

    // MAC of `p[0,n)`; with `xorend` (n >= 16), of that message with `xorend` XORed into its
    // last 16 bytes (S2V's "Sn xorend D") without copying the message.
    NTPLITE_AESNI_FN __m128i mac(const std::byte* p, std::size_t n,
                                 const std::byte* xorend = nullptr) const {
        __m128i x = _mm_setzero_si128();
        std::byte tail[2 * kBlock];
        if (xorend) {
            // Whole blocks before the first one the XOR touches go straight from `p`; the rest
            // (16..31 bytes) is copied and XORed.
            const std::size_t direct = (n - kBlock) / kBlock * kBlock;
            for (std::size_t at = 0; at < direct; at += kBlock)
                x = encrypt<Rounds>(s, _mm_xor_si128(x, load(p + at)));
            const std::size_t m = n - direct;
            std::memcpy(tail, p + direct, m);
            for (std::size_t i = 0; i < kBlock; ++i) tail[m - kBlock + i] ^= xorend[i];
            p = tail;
            n = m;
        }
        const std::size_t head = n == 0 ? 0 : (n - 1) / kBlock * kBlock;
        for (std::size_t at = 0; at < head; at += kBlock)
            x = encrypt<Rounds>(s, _mm_xor_si128(x, load(p + at)));
        std::byte last[kBlock]{};
        const std::size_t rest = n - head;  // 1..16, or 0 for an empty message
        if (rest != 0) std::memcpy(last, p + head, rest);
        __m128i sub = k1;
        if (rest != kBlock) {
            last[rest] = std::byte{0x80};
            sub = k2;
        }
        x = encrypt<Rounds>(s, _mm_xor_si128(x, _mm_xor_si128(load(last), sub)));
        wipe(last, sizeof last);
        if (xorend) wipe(tail, sizeof tail);
        return x;
    }
};

template <int Rounds>
NTPLITE_AESNI_FN __m128i s2v_with(const Schedule& s,
                                  std::span<const std::span<const std::byte>> headers,
                                  std::span<const std::byte> plaintext) {
    const Cmac<Rounds> cmac(s);
    const std::byte zero[kBlock]{};
    __m128i d = cmac.mac(zero, kBlock);
    for (auto h : headers) d = _mm_xor_si128(dbl(d), cmac.mac(h.data(), h.size()));
    if (plaintext.size() >= kBlock) {
        std::byte dbytes[kBlock];
        store(dbytes, d);
        const __m128i v = cmac.mac(plaintext.data(), plaintext.size(), dbytes);
        wipe(dbytes, sizeof dbytes);
        return v;
    }
    // T = dbl(D) xor pad(Sn): Sn followed by 0x80 and zeros.
    std::byte padded[kBlock]{};
    if (!plaintext.empty()) std::memcpy(padded, plaintext.data(), plaintext.size());
    padded[plaintext.size()] = std::byte{0x80};
    d = _mm_xor_si128(dbl(d), load(padded));
    wipe(padded, sizeof padded);
    return cmac.mac(reinterpret_cast<const std::byte*>(&d), kBlock);
}

// A 128-bit big-endian block counter.
struct Counter {
    uint64_t hi, lo;
    NTPLITE_AESNI_FN __m128i next() {
        const __m128i b = from_halves(hi, lo);
        if (++lo == 0) ++hi;
        return b;
    }
};

template <int Rounds>
NTPLITE_AESNI_FN void ctr_with(const Schedule& s, const std::byte (&v)[16],
                               std::span<const std::byte> in, std::span<std::byte> out) {
    // Clear the 31st and 63rd bits (from the right), RFC 5297 section 2.6; then a 128-bit
    // big-endian counter, as OpenSSL's CTR mode counts.
    std::byte q[kBlock];
    std::memcpy(q, v, kBlock);
    q[8] &= std::byte{0x7F};
    q[12] &= std::byte{0x7F};
    Counter c{load_be64(q), load_be64(q + 8)};
    std::size_t at = 0;
    const std::size_t n = in.size();
    for (; n - at >= 4 * kBlock; at += 4 * kBlock) {
        __m128i ks[4];
        for (auto& k : ks) k = c.next();
        encrypt4<Rounds>(s, ks);
        for (std::size_t i = 0; i < 4; ++i)
            store(out.data() + at + i * kBlock,
                  _mm_xor_si128(load(in.data() + at + i * kBlock), ks[i]));
    }
    for (; at < n; at += kBlock) {
        const __m128i ks = encrypt<Rounds>(s, c.next());
        if (n - at >= kBlock) {
            store(out.data() + at, _mm_xor_si128(load(in.data() + at), ks));
        } else {
            std::byte k[kBlock];
            store(k, ks);
            for (std::size_t i = 0; at + i < n; ++i) out[at + i] = in[at + i] ^ k[i];
            wipe(k, sizeof k);
        }
    }
}

}  // namespace

bool available() {
    // __builtin_cpu_init: the answer must be right even from a static initializer, before
    // libgcc's own constructor ran.
    static const bool ok =
        (__builtin_cpu_init(), __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2"));
    return ok;
}

NTPLITE_AESNI_FN void s2v(std::span<const std::byte> mac_key,
                          std::span<const std::span<const std::byte>> headers,
                          std::span<const std::byte> plaintext, std::byte (&v)[16]) {
    Schedule s;
    __m128i t;
    if (mac_key.size() == 32) {
        expand256(mac_key.data(), s);
        t = s2v_with<14>(s, headers, plaintext);
    } else {
        expand128(mac_key.data(), s);
        t = s2v_with<10>(s, headers, plaintext);
    }
    store(v, t);
    wipe(&s, sizeof s);
}

NTPLITE_AESNI_FN void ctr(std::span<const std::byte> key, const std::byte (&v)[16],
                          std::span<const std::byte> in, std::span<std::byte> out) {
    Schedule s;
    if (key.size() == 32) {
        expand256(key.data(), s);
        ctr_with<14>(s, v, in, out);
    } else {
        expand128(key.data(), s);
        ctr_with<10>(s, v, in, out);
    }
    wipe(&s, sizeof s);
}

#else  // no AES-NI in this build: AesSiv always takes the OpenSSL path.

bool available() {
    return false;
}
void s2v(std::span<const std::byte>, std::span<const std::span<const std::byte>>,
         std::span<const std::byte>, std::byte (&)[16]) {}
void ctr(std::span<const std::byte>, const std::byte (&)[16], std::span<const std::byte>,
         std::span<std::byte>) {}

#endif

}  // namespace ntplite::proto::nts::aesni
