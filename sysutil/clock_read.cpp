#include "sysutil/clock_read.hpp"

#include <ctime>

namespace ntplite::sysutil {

namespace {
int64_t read_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

int64_t realtime_ns() {
    return read_ns(CLOCK_REALTIME);
}

int64_t monotonic_ns() {
    return read_ns(CLOCK_MONOTONIC);
}

}  // namespace ntplite::sysutil
