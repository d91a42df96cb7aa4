#include "sysutil/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace ntplite::sysutil {

void fill_random(std::span<std::byte> out) {
    std::size_t got = 0;
    while (got < out.size()) {
        ssize_t n = ::getrandom(out.data() + got, out.size() - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EINTR) {
            // Cannot happen on Linux >= 3.17; never leave the bytes predictable anyway.
            std::random_device rd;
            for (std::byte& b : out) b ^= static_cast<std::byte>(rd());
            return;
        }
    }
}

uint64_t random_u64() {
    uint64_t v = 0;
    fill_random(std::as_writable_bytes(std::span(&v, 1)));
    return v;
}

uint64_t KernelRandom::next_u64() {
    if (pos_ == buf_.size()) {
        fill_random(std::as_writable_bytes(std::span(buf_)));
        pos_ = 0;
    }
    return buf_[pos_++];
}

}  // namespace ntplite::sysutil
