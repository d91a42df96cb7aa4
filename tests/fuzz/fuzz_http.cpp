// libFuzzer target for the Prometheus endpoint's request path: Boost.Beast's request parser with
// the server's limits, then the route (answer_raw_request, the code MetricsHttp runs).
// Properties: never crashes; every answer is 200/400/404/405/431; a 200 only for /metrics or /.
// fuzz-sources: daemon/control/metrics_request.cpp
// fuzz-flags: -DBOOST_ALL_NO_LIB
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/control/metrics_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto a = ntplite::daemon::answer_raw_request(bytes, [] { return std::string("m 1\n"); });
    if (!a) return 0;
    switch (a->status) {
        case 200:
        case 400:
        case 404:
        case 405:
        case 431:
            break;
        default:
            std::abort();
    }
    return 0;
}
