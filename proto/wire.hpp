// Big-endian (network order) loads and stores over byte spans. Internal to proto/: callers have
// already checked that the span holds the bytes they read or write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ntplite::proto::wire {

inline uint16_t load_be16(std::span<const std::byte> b, std::size_t at) {
    return static_cast<uint16_t>(std::to_integer<uint16_t>(b[at]) << 8 |
                                 std::to_integer<uint16_t>(b[at + 1]));
}
inline uint32_t load_be32(std::span<const std::byte> b, std::size_t at) {
    return uint32_t{load_be16(b, at)} << 16 | load_be16(b, at + 2);
}
inline uint64_t load_be64(std::span<const std::byte> b, std::size_t at) {
    return uint64_t{load_be32(b, at)} << 32 | load_be32(b, at + 4);
}
inline void store_be16(std::span<std::byte> b, std::size_t at, uint16_t v) {
    b[at] = static_cast<std::byte>(v >> 8);
    b[at + 1] = static_cast<std::byte>(v);
}
inline void store_be32(std::span<std::byte> b, std::size_t at, uint32_t v) {
    store_be16(b, at, static_cast<uint16_t>(v >> 16));
    store_be16(b, at + 2, static_cast<uint16_t>(v));
}
inline void store_be64(std::span<std::byte> b, std::size_t at, uint64_t v) {
    store_be32(b, at, static_cast<uint32_t>(v >> 32));
    store_be32(b, at + 4, static_cast<uint32_t>(v));
}

}  // namespace ntplite::proto::wire
