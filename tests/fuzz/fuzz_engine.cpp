// libFuzzer target for the sync engine's reply path: sources, filter, selection, discipline.
// The fuzzer plays every upstream: its replies echo the request's transmit field (so they pass
// the origin check, like a hostile server or an on-path attacker) and carry arbitrary
// timestamps, headers and receive times; local time jumps arbitrarily between events (the
// daemon's clock can be stepped by someone else). Properties: no crash and no undefined
// behaviour (signed overflow, float-to-int overflow) anywhere in clock/ or proto/; the engine
// never asks the clock for a step or slew beyond the saturated int64 range.
// clang-format off
// fuzz-sources: clock/engine.cpp clock/source.cpp clock/filter.cpp clock/selection.cpp clock/discipline.cpp clock/leap.cpp proto/packet.cpp proto/respond.cpp proto/refid.cpp proto/md5.cpp proto/checks.cpp proto/exchange.cpp proto/auth/client.cpp proto/auth/mac.cpp proto/auth/keys.cpp proto/auth/tail.cpp
// fuzz-flags: -lcrypto
// clang-format on
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <vector>

#include "clock/engine.hpp"
#include "clock/random.hpp"
#include "clock/system_clock.hpp"
#include "proto/packet.hpp"

using namespace ntplite;

namespace {

// Local time stays a plausible CLOCK_REALTIME reading, 1970..2116 (0..2^62 ns): the fuzzer moves
// it anywhere in that range, while everything from the network is unrestricted.
constexpr int64_t kMaxLocalNs = int64_t{1} << 62;

int64_t advance(int64_t now, int64_t by) {
    int64_t out = 0;
    if (__builtin_add_overflow(now, by, &out)) return now;
    return out < 0 ? 0 : out > kMaxLocalNs ? kMaxLocalNs : out;
}

/// A clock the harness moves: now() is whatever the fuzzer says; adjustments are recorded.
class FuzzClock final : public clock::SystemClock {
  public:
    int64_t now = 1'700'000'000'000'000'000;
    int64_t pending = 0;
    double freq = 0.0;
    int64_t now_ns() const override { return now; }
    bool adjusts() const override { return true; }
    void adjust_frequency(double ppm) override { freq = ppm; }
    double frequency_ppm() const override { return freq; }
    void slew(int64_t offset_ns) override { pending = offset_ns; }
    int64_t pending_slew_ns() const override { return pending; }
    void step(int64_t offset_ns) override { now = advance(now, offset_ns); }
    void set_leap(proto::LeapIndicator) override {}
    void set_sync_status(int64_t, int64_t, bool) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    clock::EngineConfig cfg;
    const uint8_t flags = in.ConsumeIntegral<uint8_t>();
    if (flags & 1) cfg.discipline.algorithm = clock::DisciplineAlgorithm::kPllFll;
    if (flags & 2) cfg.discipline.feed = clock::DisciplineFeed::kFilterOutput;
    if (flags & 4) cfg.discipline.panic_threshold_ns = 0;
    if (flags & 8) cfg.discipline.step_limit_updates = -1;
    if (flags & 16) cfg.discipline.max_backward_step_ns = -1;
    if (flags & 32) cfg.holdover_ns = in.ConsumeIntegral<int64_t>();
    FuzzClock clk;
    clk.now = in.ConsumeIntegralInRange<int64_t>(0, kMaxLocalNs);
    clock::SeededRandom rng(in.ConsumeIntegral<uint64_t>());
    // The initial frequency comes from the drift file, which parse_drift() bounds to +-500 ppm.
    clock::SyncEngine engine(cfg, clk, rng, in.ConsumeFloatingPointInRange<double>(-500.0, 500.0));

    const int n_sources = 1 + in.ConsumeIntegralInRange<int>(0, 3);
    std::vector<std::optional<std::vector<std::byte>>> last_request(n_sources);
    // Remembers the request each source sent (the fuzzer answers it).
    auto record = [&](const clock::EngineUpdate& up) {
        for (const auto& [sid, a] : up.actions) {
            if (a.send && sid < last_request.size())
                last_request[sid] =
                    std::vector<std::byte>(a.request.view().begin(), a.request.view().end());
        }
    };
    using clock::LocalTime;
    for (int i = 0; i < n_sources; ++i) {
        clock::SourceConfig sc;
        sc.name = "s" + std::to_string(i);
        sc.address_refid = 0x7f000001u + static_cast<uint32_t>(i);
        sc.minpoll_log2 = static_cast<int8_t>(in.ConsumeIntegralInRange<int>(-6, 17));
        sc.maxpoll_log2 = static_cast<int8_t>(in.ConsumeIntegralInRange<int>(sc.minpoll_log2, 17));
        sc.iburst = in.ConsumeBool();
        sc.pool_member = in.ConsumeBool();
        clock::SourceId id = 0;
        record(engine.add_source(sc, LocalTime{clk.now}, &id));
    }
    for (int step = 0; step < 256 && in.remaining_bytes() > 0; ++step) {
        const auto id = static_cast<clock::SourceId>(in.ConsumeIntegralInRange<int>(0, n_sources));
        switch (in.ConsumeIntegralInRange<int>(0, 5)) {
            case 0: {  // a poll timer: remember the request it sends
                clk.now = advance(clk.now, in.ConsumeIntegral<int32_t>() * int64_t{1000});
                record(engine.on_timer(id, LocalTime{clk.now}));
                break;
            }
            case 1: {  // a reply that passes the origin check, everything else fuzzed
                if (id >= last_request.size() || !last_request[id]) break;
                auto q = proto::parse(*last_request[id]);
                if (!q) std::abort();  // our own request must parse
                proto::Packet p;
                p.leap = static_cast<proto::LeapIndicator>(in.ConsumeIntegralInRange<int>(0, 3));
                p.version = static_cast<uint8_t>(in.ConsumeIntegralInRange<int>(1, 4));
                p.mode = proto::Mode::kServer;
                p.stratum = in.ConsumeIntegral<uint8_t>();
                p.poll_log2 = in.ConsumeIntegral<int8_t>();
                p.precision_log2 = in.ConsumeIntegral<int8_t>();
                p.root_delay = proto::NtpShort{in.ConsumeIntegral<uint32_t>()};
                p.root_dispersion = proto::NtpShort{in.ConsumeIntegral<uint32_t>()};
                p.refid = in.ConsumeIntegral<uint32_t>();
                p.origin = q->transmit;
                // Server times near ours (a plausible server) or anywhere at all.
                const bool near = in.ConsumeBool();
                const int64_t off = near ? in.ConsumeIntegral<int32_t>() * int64_t{1000}
                                         : in.ConsumeIntegral<int64_t>();
                int64_t rx_ns = 0;
                if (__builtin_add_overflow(clk.now, off, &rx_ns)) rx_ns = clk.now;
                p.receive = near ? proto::NtpTimestamp::from_unix_ns(rx_ns)
                                 : proto::NtpTimestamp{in.ConsumeIntegral<uint64_t>()};
                p.transmit =
                    near ? proto::NtpTimestamp::from_unix_ns(rx_ns + in.ConsumeIntegral<uint16_t>())
                         : proto::NtpTimestamp{in.ConsumeIntegral<uint64_t>()};
                p.reference = p.receive;
                std::array<std::byte, proto::kHeaderSize> out{};
                proto::serialize(p, out);
                clk.now = advance(clk.now, in.ConsumeIntegral<int32_t>());
                record(engine.on_response(id, out, LocalTime{clk.now}, LocalTime{clk.now}));
                break;
            }
            case 2: {  // arbitrary bytes from the source's address
                auto bytes = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 96));
                record(engine.on_response(id, std::as_bytes(std::span(bytes)), LocalTime{clk.now},
                                          LocalTime{clk.now}));
                break;
            }
            case 3:  // resync
                record(engine.burst_all(LocalTime{clk.now}));
                break;
            case 4:  // someone else steps the clock (any size, any direction)
                clk.now = advance(clk.now, in.ConsumeIntegral<int64_t>());
                break;
            case 5:
                if (in.ConsumeBool())
                    record(engine.remove_source(id, LocalTime{clk.now}));
                else
                    record(engine.tick(LocalTime{clk.now}));
                break;
        }
        (void)engine.system_state(LocalTime{clk.now});
        (void)engine.snapshot(LocalTime{clk.now});
        (void)engine.status(LocalTime{clk.now});
    }
    return 0;
}
