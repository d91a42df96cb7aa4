// libFuzzer target for the drift file parser. Properties: never crashes; anything accepted is
// finite and within +-kMaxDriftPpm; format_drift of an accepted value parses back to within the
// 1e-6 ppm the format keeps.
// fuzz-sources: clock/os/drift_file.cpp
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "clock/os/drift_file.hpp"

using namespace ntplite::clock;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto ppm = parse_drift(text);
    if (!ppm) return 0;
    if (!std::isfinite(*ppm) || std::fabs(*ppm) > kMaxDriftPpm) std::abort();
    auto again = parse_drift(format_drift(*ppm));
    if (!again || std::fabs(*again - *ppm) > 1e-6) std::abort();
    return 0;
}
