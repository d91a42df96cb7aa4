// libFuzzer target for ntpq-lite's reading of the daemon's resync JSON (parse_resync_reply).
// Property: never throws or crashes, whatever the socket's peer sends.
// fuzz-sources: tools/ntpq/control_client.cpp
// fuzz-flags: -DFMT_HEADER_ONLY=1
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/ntpq/control_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    (void)ntplite::tools::parse_resync_reply(
        std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
