// libFuzzer target for the control socket's line handler (ControlSocket::handle, what a local
// client's request line reaches), with the snapshot of tests/unit/tools/monitor_fixture.hpp.
// Properties: never crashes or throws; every reply is one JSON object on one line with "ok" or
// the snapshot schema; resync is called only for the exact "resync" request.
// clang-format off
// fuzz-sources: daemon/control/control_socket.cpp daemon/policy/monitor/control_json.cpp daemon/policy/monitor/control_mode6.cpp proto/control.cpp proto/refid.cpp proto/packet.cpp proto/md5.cpp proto/checks.cpp proto/exchange.cpp proto/respond.cpp config/net.cpp config/text.cpp clock/engine.cpp clock/source.cpp clock/filter.cpp clock/selection.cpp clock/discipline.cpp clock/leap.cpp daemon/policy/monitor/status_text.cpp proto/auth/client.cpp proto/auth/mac.cpp proto/auth/keys.cpp proto/auth/tail.cpp daemon/policy/server/counters.cpp
// fuzz-flags: -DSPDLOG_FMT_EXTERNAL -DFMT_HEADER_ONLY=1 -DBOOST_ALL_NO_LIB -pthread -lcrypto
// clang-format on
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "daemon/control/control_socket.hpp"
#include "tests/unit/tools/monitor_fixture.hpp"

using namespace ntplite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static boost::asio::io_context io;
    static int resyncs = 0;
    static daemon::ControlSocket s(
        io, [] { return testing::fixture_snapshot(); },
        []() -> std::expected<std::size_t, std::string> {
            ++resyncs;
            return 2;
        });
    if (size > daemon::ControlSocket::kMaxRequest) return 0;  // the session never reads more
    const int before = resyncs;
    const std::string reply = s.handle(std::string_view(reinterpret_cast<const char*>(data), size));
    if (reply.empty() || reply.back() != '\n' || reply.find('\n') != reply.size() - 1) std::abort();
    auto j = nlohmann::json::parse(reply, nullptr, false);
    if (j.is_discarded() || !j.is_object()) std::abort();
    if (resyncs != before && !j.contains("ok")) std::abort();
    return 0;
}
