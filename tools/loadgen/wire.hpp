// The load generator's packets, built and checked directly on bytes (faster than a full parse).
// Each request carries a unique transmit timestamp: (run nonce : 24 bits, thread : 8 bits,
// sequence : 32 bits). A valid reply echoes it as its origin timestamp, which identifies the
// request it answers without any per-request lookup structure beyond a send-time ring.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ntplite::tools::loadgen {

inline constexpr std::size_t kNtpHeaderBytes = 48;

/// Fields of a request's transmit timestamp (what a reply must echo as origin).
struct RequestTag {
    uint32_t nonce24 = 0;   ///< random per run, low 24 bits used; makes stray replies detectable
    uint8_t thread = 0;     ///< generator thread index
    uint32_t sequence = 0;  ///< per-thread request counter, starting at 0
};

inline uint64_t encode_tag(const RequestTag& t) {
    return (uint64_t{t.nonce24 & 0xFFFFFFu} << 40) | (uint64_t{t.thread} << 32) | t.sequence;
}

inline RequestTag decode_tag(uint64_t v) {
    return RequestTag{static_cast<uint32_t>(v >> 40), static_cast<uint8_t>(v >> 32),
                      static_cast<uint32_t>(v)};
}

inline void store_be64(unsigned char* p, uint64_t v) {
    for (int i = 7; i >= 0; --i) {
        p[i] = static_cast<unsigned char>(v);
        v >>= 8;
    }
}

inline uint64_t load_be64(const unsigned char* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return v;
}

/// Write a 48-byte client request (LI 0, version `version`, mode 3) with transmit = `tag` into
/// `out`. Every other field is zero, as SNTP clients send.
inline void build_request(unsigned char* out, uint8_t version, uint64_t tag) {
    std::memset(out, 0, kNtpHeaderBytes);
    out[0] = static_cast<unsigned char>((version & 7u) << 3 | 3u);
    store_be64(out + 40, tag);
}

/// What a received datagram is, judged only by its bytes.
enum class ReplyKind : uint8_t {
    kAnswer,       ///< mode 4, right version, stratum != 0: origin is in `tag`
    kKissOfDeath,  ///< mode 4 with stratum 0 (KoD, e.g. RATE): origin is in `tag`
    kTooShort,     ///< fewer than 48 bytes
    kTooLong,      ///< longer than the 48-byte request (a server must never amplify)
    kBadMode,      ///< not mode 4
    kBadVersion,   ///< version differs from the request's
};

/// Classify a reply of `len` bytes; on kAnswer/kKissOfDeath, `tag_out` gets the origin timestamp.
/// `max_len` is the request's size (an NTS reply carries extension fields, but is never larger).
inline ReplyKind classify_reply(const unsigned char* p, std::size_t len, uint8_t version,
                                uint64_t& tag_out, std::size_t max_len = kNtpHeaderBytes) {
    if (len < kNtpHeaderBytes) return ReplyKind::kTooShort;
    if (len > max_len) return ReplyKind::kTooLong;
    if ((p[0] & 7u) != 4u) return ReplyKind::kBadMode;
    if (((p[0] >> 3) & 7u) != version) return ReplyKind::kBadVersion;
    tag_out = load_be64(p + 24);
    return p[1] == 0 ? ReplyKind::kKissOfDeath : ReplyKind::kAnswer;
}

}  // namespace ntplite::tools::loadgen
