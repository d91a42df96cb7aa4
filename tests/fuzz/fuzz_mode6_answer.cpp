// libFuzzer target for the daemon's mode 6 responder (answer_mode6) with the request's variable
// name list, against a snapshot with three sources. Properties: never crashes; error answers
// and drops are never larger than the request; every datagram parses as a response to the
// request's opcode and sequence, and the fragments reassemble in order.
// clang-format off
// fuzz-sources: daemon/policy/monitor/control_mode6.cpp proto/control.cpp proto/packet.cpp proto/refid.cpp proto/md5.cpp proto/checks.cpp proto/exchange.cpp clock/engine.cpp clock/source.cpp clock/filter.cpp clock/selection.cpp clock/discipline.cpp clock/leap.cpp daemon/policy/monitor/status_text.cpp proto/auth/client.cpp proto/auth/mac.cpp proto/auth/keys.cpp proto/auth/tail.cpp
// fuzz-flags: -DFMT_HEADER_ONLY=1 -lcrypto
// clang-format on
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "daemon/policy/monitor/control_mode6.hpp"

using namespace ntplite;

namespace {

daemon::MonitorSnapshot make_snapshot() {
    daemon::MonitorSnapshot m;
    m.system.synchronized = true;
    m.system.now_unix_ns = 1'700'000'000'000'000'000;
    m.system.offset_ns = -12345;
    m.system.frequency_ppm = 3.5;
    m.system.system_peer = 1;
    m.system.processor = "x86_64";
    m.system.system = "Linux/6.1.0";
    for (int i = 0; i < 3; ++i) {
        daemon::SourceView v;
        v.snap.id = static_cast<clock::SourceId>(i);
        v.snap.name = "192.0.2." + std::to_string(i + 1);
        v.snap.state = i == 1 ? clock::SourceState::kSelected : clock::SourceState::kCandidate;
        v.snap.offset_ns = 1000 * i;
        v.snap.reach = 0xff;
        v.address = v.snap.name;
        m.sources.push_back(v);
    }
    return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const daemon::MonitorSnapshot snapshot = make_snapshot();
    const auto request = std::as_bytes(std::span(data, size));
    const auto a = daemon::answer_mode6(request, snapshot);
    if (a.outcome != daemon::Mode6Outcome::kAnswered && a.total_bytes() > size) std::abort();
    if (a.datagrams.empty()) return 0;
    const auto q = proto::parse_control(request);
    if (!q) std::abort();  // answered something that does not parse
    std::size_t offset = 0;
    for (std::size_t i = 0; i < a.datagrams.size(); ++i) {
        const auto r = proto::parse_control(a.datagrams[i]);
        if (!r || !r->header.response || r->header.sequence != q->header.sequence ||
            r->header.opcode != q->header.opcode || r->header.offset != offset ||
            r->header.more != (i + 1 < a.datagrams.size()))
            std::abort();
        offset += r->header.count;
    }
    return 0;
}
