// Issue 14: no undefined behaviour and no clock action from absurd values a hostile upstream can
// put in a reply that passes the origin check. These run in the ASan+UBSan build in CI too.
#include <gtest/gtest.h>

#include <array>
#include <limits>

#include "clock/discipline.hpp"
#include "clock/engine.hpp"
#include "clock/filter.hpp"
#include "clock/system_clock.hpp"
#include "proto/exchange.hpp"
#include "proto/packet.hpp"
#include "proto/saturate.hpp"

namespace ntplite::clock {
namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kS;

DisciplineSample sample(int64_t t_ns, int64_t offset_ns) {
    DisciplineSample s;
    s.offset_ns = offset_ns;
    s.sample_time_ns = t_ns;
    s.delay_ns = 1;
    s.jitter_ns = 1000;
    s.minpoll_log2 = 4;
    s.maxpoll_log2 = 6;
    return s;
}

TEST(Saturation, DisciplineRefusesAnOffsetBeyondInt64InsteadOfSteppingBack) {
    // Two wild samples 1 s apart extrapolated 1000 s later: ~8e21 ns, beyond int64. llround gave
    // INT64_MIN, whose negation was UB, and in release builds the "magnitude" came out negative,
    // skipped the panic check and stepped the clock back by max_backward_step.
    Discipline d(DisciplineConfig{}, true);
    d.update(sample(0, -4'000'000'000'000'000'000), 0);
    Adjustment a = d.update(sample(kS, 4'000'000'000'000'000'000), 1000 * kS);
    EXPECT_EQ(a.action, ClockAction::kPanic);
    EXPECT_NE(a.wanted_offset_ns, std::numeric_limits<int64_t>::min());
}

TEST(Saturation, RoundAndSums) {
    using namespace proto;
    EXPECT_EQ(sat_round(1e30), kInt64Max);
    EXPECT_EQ(sat_round(-1e30), -kInt64Max);
    EXPECT_EQ(sat_round(std::numeric_limits<double>::quiet_NaN()), 0);
    EXPECT_EQ(sat_round(-2.5), -3);
    EXPECT_EQ(sat_abs(kInt64Min), kInt64Max);
    EXPECT_EQ(sat_add(kInt64Max, 1), kInt64Max);
    EXPECT_EQ(sat_add(kInt64Min, -1), kInt64Min);
    EXPECT_EQ(sat_sub(kInt64Min, 1), kInt64Min);
    EXPECT_EQ(sat_sub(0, kInt64Min), kInt64Max);
    EXPECT_EQ(sat_add(40, 2), 42);
}

TEST(Saturation, ExchangeSanityBound) {
    proto::ExchangeResult r;
    r.delay_ns = proto::kMaxSaneDelayNs;
    EXPECT_TRUE(proto::exchange_sane(r));
    r.delay_ns = proto::kMaxSaneDelayNs + 1;
    EXPECT_FALSE(proto::exchange_sane(r));
    r.delay_ns = -2 * kS;
    EXPECT_FALSE(proto::exchange_sane(r));
}

// A reply to the engine's outstanding request with the given server timestamps.
std::array<std::byte, proto::kHeaderSize> reply_to(const SourceActions& req, proto::NtpTimestamp rx,
                                                   proto::NtpTimestamp tx) {
    auto q = proto::parse(req.request.view());
    proto::Packet p;
    p.mode = proto::Mode::kServer;
    p.stratum = 2;
    p.precision_log2 = -20;
    p.origin = q->transmit;
    p.receive = rx;
    p.transmit = tx;
    p.reference = tx;  // not after the transmit time (that check comes first)
    std::array<std::byte, proto::kHeaderSize> out{};
    proto::serialize(p, out);
    return out;
}

TEST(Saturation, ReplyWithAbsurdDelayNeverReachesTheFilter) {
    NullClock clk([] { return kT0; });
    SeededRandom rng(1);
    SyncEngine engine(EngineConfig{}, clk, rng);
    SourceConfig sc;
    sc.name = "hostile";
    sc.iburst = true;
    SourceId id = 0;
    engine.add_source(sc, LocalTime{kT0}, &id);
    auto request_of = [&](const EngineUpdate& up) {
        for (const auto& [sid, act] : up.actions)
            if (sid == id && act.send) return act;
        return SourceActions{};
    };
    SourceActions a = request_of(engine.on_timer(id, LocalTime{kT0}));
    ASSERT_TRUE(a.send);
    // The server "held" the request -100 s: delay = 1 ms + 100 s, far past MAXDISP.
    auto bad = reply_to(a, proto::NtpTimestamp::from_unix_ns(kT0 + 100 * kS),
                        proto::NtpTimestamp::from_unix_ns(kT0));
    ResponseResult r =
        *engine.on_response(id, bad, LocalTime{kT0 + 1'000'000}, LocalTime{kT0 + 1'000'000})
             .response;
    EXPECT_EQ(r.outcome, ResponseOutcome::kFailedCheck);
    EXPECT_EQ(r.check, proto::CheckFailure::kInsaneExchange);
    EXPECT_FALSE(r.filter);
    // Extremes of the wire: timestamps 68 years apart in both directions.
    a = request_of(engine.on_timer(id, LocalTime{kT0 + 2 * kS}));
    ASSERT_TRUE(a.send);
    auto wild = reply_to(a, proto::NtpTimestamp{0x8000000000000000ull},
                         proto::NtpTimestamp{0x7fffffffffffffffull});
    // A sane delay and an offset of about -19 years: accepted as a measurement (the panic
    // threshold judges it), with every derived value finite and ordered.
    r = *engine.on_response(id, wild, LocalTime{kT0 + 2 * kS}, LocalTime{kT0 + 2 * kS}).response;
    EXPECT_EQ(r.outcome, ResponseOutcome::kAccepted);
    for (const auto& s : engine.snapshot(LocalTime{kT0 + 3 * kS})) EXPECT_GE(s.root_distance_ns, 0);
}

TEST(Saturation, FilterRebaseAcrossAnyTimeDifference) {
    // Found by fuzz_engine (corpus engine/crash_filter_rebase_time_difference): after the local
    // clock had been jumped near the bottom of the int64 range, a correction at -INT64_MAX ns
    // rebased samples taken at +1.3e12 ns, and `sample_time - at` overflowed.
    ClockFilter f;
    f.add(FilterSample{
        .offset_ns = 5, .delay_ns = 1, .dispersion_ns = 1, .local_time_ns = 1'297'701'417'805});
    f.rebase(proto::kInt64Max, 500.0, -proto::kInt64Max);
    EXPECT_EQ(f.newest().offset_ns, proto::kInt64Min);  // 5 - INT64_MAX - 500 ppm x ~9.2e9 s
    EXPECT_EQ(f.newest().local_time_ns, proto::kInt64Max);
    f.rebase(proto::kInt64Min, -500.0, proto::kInt64Max);
    EXPECT_EQ(f.newest().local_time_ns, proto::kInt64Max + proto::kInt64Min);
    // The ordinary case is unchanged: exact difference, truncated toward zero like a plain cast.
    EXPECT_EQ(rebased_offset(1000, 3 * kS, 10, 1.5, kS), 1000 - 10 - 3000);
    EXPECT_EQ(rebased_offset(0, 0, 0, 0.0015, kS), 1);
}

TEST(Saturation, FilterAgesSamplesFromAnyTime) {
    // Found by fuzz_engine (corpus engine/crash_filter_age_after_step): a step of -INT64_MAX ns
    // left a sample at -INT64_MAX, and ageing it at +2e12 ns overflowed `now - sample time`.
    ClockFilter f;
    f.add(FilterSample{.offset_ns = proto::kInt64Max,
                       .delay_ns = 1,
                       .dispersion_ns = 1,
                       .local_time_ns = -proto::kInt64Max});
    f.add(FilterSample{.offset_ns = proto::kInt64Min,
                       .delay_ns = 2,
                       .dispersion_ns = 1,
                       .local_time_ns = 2'013'265'920'000});
    auto out = f.current(2'013'265'920'000);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->jitter_ns, proto::kInt64Max);  // saturated, not wrapped
    // The old sample's age is ~2^63 ns: 15 ppm of it, half-weighted, plus the empty stages.
    EXPECT_NEAR(static_cast<double>(out->dispersion_ns), 0.5 * 15e-6 * 9.2234e18 + 4e9, 1e10);
}

}  // namespace
}  // namespace ntplite::clock
