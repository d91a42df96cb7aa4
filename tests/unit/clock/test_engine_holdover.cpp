// SyncEngine holdover (issue 6): after the last usable source is lost the server keeps answering
// as synchronized for EngineConfig::holdover_ns (root dispersion growing), then unsynchronized;
// a returning source synchronizes it again.
#include <gtest/gtest.h>

#include <array>

#include "clock/engine.hpp"
#include "clock/system_clock.hpp"
#include "proto/packet.hpp"
#include "tests/sim/kernel/simulated_clock.hpp"

namespace ntplite::clock {
namespace {

using sim::SimulatedClock;
using sim::SimulatedClockParams;

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kS;

// One upstream at stratum 2 that answers (or not) every poll of one source, in virtual time.
struct OneSource {
    EngineConfig cfg;
    SimulatedClock clock{SimulatedClockParams{}, kT0};
    SeededRandom rng{7};
    std::unique_ptr<SyncEngine> engine;
    SourceId id = 0;
    int64_t next_timer_ns = 0;

    explicit OneSource(int64_t holdover_ns) {
        cfg.holdover_ns = holdover_ns;
        engine = std::make_unique<SyncEngine>(cfg, clock, rng);
        SourceConfig sc;
        sc.name = "192.0.2.1:123";
        sc.address_refid = 0xC0000201;
        sc.minpoll_log2 = 2;
        sc.maxpoll_log2 = 2;
        sc.iburst = true;
        SourceActions a;
        id = engine->add_source(sc, clock.now_ns(), &a);
        next_timer_ns = *a.timer_at_ns;
    }

    std::array<std::byte, proto::kHeaderSize> reply_to(const SourceActions& req) const {
        auto q = proto::parse(req.request);
        proto::Packet p;
        p.mode = proto::Mode::kServer;
        p.stratum = 2;
        p.refid = 0x0A000001;
        p.precision_log2 = -20;
        p.root_delay = proto::NtpShort::from_ns(2'000'000);
        p.root_dispersion = proto::NtpShort::from_ns(1'000'000);
        p.origin = q->transmit;
        p.receive = proto::NtpTimestamp::from_unix_ns(clock.now_ns() + 50'000);
        p.transmit = proto::NtpTimestamp::from_unix_ns(clock.now_ns() + 60'000);
        std::array<std::byte, proto::kHeaderSize> out{};
        proto::serialize(p, out);
        return out;
    }

    // Polls for `seconds` of virtual time; the server answers when `answering`.
    void run(int64_t seconds, bool answering) {
        int64_t end_ns = clock.now_ns() + seconds * kS;
        while (next_timer_ns <= end_ns) {
            clock.advance_to(clock.true_at(next_timer_ns));
            SourceActions a = engine->on_timer(id, clock.now_ns());
            if (a.timer_at_ns) next_timer_ns = *a.timer_at_ns;
            if (!a.send || !answering) continue;
            auto reply = reply_to(a);
            clock.advance_to(clock.true_now_ns() + 110'000);
            engine->on_response(id, reply, clock.now_ns(), clock.now_ns());
        }
        clock.advance_to(clock.true_at(end_ns));
    }
};

TEST(SyncEngineHoldover, ServesSynchronizedThenUnsynchronizedAfterHoldover) {
    OneSource h(120 * kS);
    h.run(60, true);
    ASSERT_TRUE(h.engine->synchronized_at(h.clock.now_ns()));
    EXPECT_FALSE(h.engine->in_holdover(h.clock.now_ns()));
    proto::SystemState live = h.engine->system_state(h.clock.now_ns());
    EXPECT_EQ(live.stratum, 3);

    // The source dies: a few polls later it is no longer usable, the holdover runs.
    h.run(30, false);
    int64_t now = h.clock.now_ns();
    EXPECT_TRUE(h.engine->in_holdover(now));
    proto::SystemState held = h.engine->system_state(now);
    EXPECT_EQ(held.stratum, 3);
    EXPECT_NE(held.leap, proto::LeapIndicator::kUnsynchronized);
    EXPECT_GT(held.root_dispersion.to_ns(), live.root_dispersion.to_ns());

    // Past the holdover (counted from the last update): unsynchronized.
    h.run(120, false);
    now = h.clock.now_ns();
    EXPECT_FALSE(h.engine->synchronized_at(now));
    EXPECT_FALSE(h.engine->in_holdover(now));
    EXPECT_TRUE(h.engine->synchronized());  // it did synchronize once
    proto::SystemState lost = h.engine->system_state(now);
    EXPECT_EQ(lost.stratum, 16);
    EXPECT_EQ(lost.leap, proto::LeapIndicator::kUnsynchronized);

    // The source comes back: synchronized again.
    h.run(30, true);
    now = h.clock.now_ns();
    EXPECT_TRUE(h.engine->synchronized_at(now));
    EXPECT_EQ(h.engine->system_state(now).stratum, 3);
}

TEST(SyncEngineHoldover, NegativeHoldoverServesUntilTheErrorBoundIsTooLarge) {
    OneSource h(-1);
    h.run(60, true);
    h.run(20'000, false);
    int64_t now = h.clock.now_ns();
    EXPECT_TRUE(h.engine->synchronized_at(now));
    EXPECT_TRUE(h.engine->in_holdover(now));
    EXPECT_EQ(h.engine->system_state(now).stratum, 3);
    // 15 ppm of dispersion growth reaches the 1.5 s maximum distance after ~100,000 s.
    h.run(100'000, false);
    now = h.clock.now_ns();
    EXPECT_FALSE(h.engine->synchronized_at(now));
    EXPECT_EQ(h.engine->system_state(now).stratum, 16);
}

TEST(SyncEngineHoldover, ZeroHoldoverDropsAsSoonAsNoSourceIsUsable) {
    OneSource h(0);
    h.run(60, true);
    EXPECT_TRUE(h.engine->synchronized_at(h.clock.now_ns()));
    h.run(30, false);  // 3+ missed polls of 4 s
    EXPECT_FALSE(h.engine->synchronized_at(h.clock.now_ns()));
    EXPECT_EQ(h.engine->system_state(h.clock.now_ns()).leap, proto::LeapIndicator::kUnsynchronized);
}

TEST(SyncEngineHoldover, NeverSynchronizedIsNeverInHoldover) {
    OneSource h(60 * kS);
    h.run(30, false);
    EXPECT_FALSE(h.engine->synchronized_at(h.clock.now_ns()));
    EXPECT_FALSE(h.engine->in_holdover(h.clock.now_ns()));
}

}  // namespace
}  // namespace ntplite::clock
