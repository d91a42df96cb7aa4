#include <gtest/gtest.h>

#include <array>

#include "clock/engine.hpp"
#include "clock/system_clock.hpp"
#include "proto/packet.hpp"
#include "proto/refid.hpp"
#include "tests/sim/kernel/simulated_clock.hpp"

namespace ntplite::clock {
namespace {

using sim::SimulatedClock;
using sim::SimulatedClockParams;

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kS;

// A fake upstream: answers a request at local time t with its clock = local + offset.
std::array<std::byte, proto::kHeaderSize> answer(const SourceActions& req, int64_t t,
                                                 int64_t offset_ns, uint8_t stratum,
                                                 uint32_t refid) {
    auto q = proto::parse(req.request);
    proto::Packet p;
    p.mode = proto::Mode::kServer;
    p.stratum = stratum;
    p.refid = refid;
    p.precision_log2 = -20;
    p.root_delay = proto::NtpShort::from_ns(2'000'000);
    p.root_dispersion = proto::NtpShort::from_ns(1'000'000);
    p.origin = q->transmit;
    p.receive = proto::NtpTimestamp::from_unix_ns(t + 50'000 + offset_ns);
    p.transmit = proto::NtpTimestamp::from_unix_ns(t + 60'000 + offset_ns);
    std::array<std::byte, proto::kHeaderSize> out{};
    proto::serialize(p, out);
    return out;
}

struct Harness {
    EngineConfig cfg;
    SimulatedClock clock{SimulatedClockParams{}, kT0};
    SeededRandom rng{3};
    std::unique_ptr<SyncEngine> engine;
    std::vector<SourceId> ids;
    std::vector<int64_t> next_timer;

    void add(const char* name, uint32_t address_refid) {
        if (!engine) engine = std::make_unique<SyncEngine>(cfg, clock, rng);
        SourceConfig sc;
        sc.name = name;
        sc.address_refid = address_refid;
        sc.minpoll_log2 = 4;
        sc.maxpoll_log2 = 4;
        sc.iburst = true;
        SourceActions a;
        ids.push_back(engine->add_source(sc, clock.now_ns(), &a));
        next_timer.push_back(*a.timer_at_ns);
    }
    // Run every source's polls for `seconds`; server i answers with offsets[i], stratum, refid.
    void run(int seconds, const std::vector<int64_t>& offsets, const std::vector<uint8_t>& strata,
             const std::vector<uint32_t>& refids) {
        int64_t end = clock.now_ns() + seconds * kS;
        while (true) {
            std::size_t i = 0;
            for (std::size_t k = 1; k < ids.size(); ++k)
                if (next_timer[k] < next_timer[i]) i = k;
            if (next_timer[i] > end) break;
            clock.advance_to(clock.true_at(next_timer[i]));
            SourceActions a = engine->on_timer(ids[i], clock.now_ns());
            if (a.timer_at_ns) next_timer[i] = *a.timer_at_ns;
            if (!a.send) continue;
            int64_t t1 = clock.now_ns();
            auto reply = answer(a, t1 - (clock.now_ns() - clock.true_now_ns()) + 0, offsets[i],
                                strata[i], refids[i]);
            clock.advance_to(clock.true_now_ns() + 110'000);
            engine->on_response(ids[i], reply, clock.now_ns(), clock.now_ns());
        }
    }
};

TEST(SyncEngine, SynchronizesAndAdvertisesTheSystemState) {
    Harness h;
    h.clock = SimulatedClock(SimulatedClockParams{.initial_offset_ns = -50'000'000}, kT0);
    h.cfg.discipline.step_threshold_ns = 20'000'000;  // 50 ms is stepped (default: slewed)
    h.add("a", proto::refid_from_ipv4({192, 0, 2, 1}));
    EXPECT_EQ(h.engine->system_state(h.clock.now_ns()).stratum, 16);
    EXPECT_EQ(h.engine->system_state(h.clock.now_ns()).leap, proto::LeapIndicator::kUnsynchronized);
    // Server clock = true time (offset relative to true 0): the client is 50 ms behind.
    h.run(120, {0}, {2}, {proto::refid_from_ascii("GPS")});
    ASSERT_TRUE(h.engine->synchronized());
    proto::SystemState st = h.engine->system_state(h.clock.now_ns());
    EXPECT_EQ(st.stratum, 3);
    EXPECT_EQ(st.refid, proto::refid_from_ipv4({192, 0, 2, 1}));
    EXPECT_EQ(st.leap, proto::LeapIndicator::kNone);
    EXPECT_GE(st.root_delay.to_ns(), 2'000'000) << "server's root delay plus ours";
    EXPECT_GE(st.root_dispersion.to_ns(), 1'000'000);
    EXPECT_LT(std::abs(h.clock.offset_from_true_ns()), 1e6);
    EXPECT_EQ(h.clock.steps(), 1);
    auto ev = h.engine->take_events();
    bool stepped = false;
    for (const auto& e : ev) stepped |= e.kind == EngineEvent::Kind::kStep;
    EXPECT_TRUE(stepped);
    auto snap = h.engine->snapshot(h.clock.now_ns());
    ASSERT_EQ(snap.size(), 1u);
    EXPECT_EQ(snap[0].state, SourceState::kSelected);
    EXPECT_EQ(snap[0].reach & 1, 1);
    EXPECT_EQ(snap[0].stratum, 2);
    // No more updates: after ~1.5 s / 15 ppm = 100,000 s the state is served as unsynchronized.
    EXPECT_EQ(h.engine->system_state(h.clock.now_ns() + 50'000 * kS).stratum, 3);
    EXPECT_EQ(h.engine->system_state(h.clock.now_ns() + 100'000 * kS).stratum, 16);
    EXPECT_EQ(h.engine->system_state(h.clock.now_ns() + 100'000 * kS).leap,
              proto::LeapIndicator::kUnsynchronized);
}

TEST(SyncEngine, FalsetickerIsMarkedAndNeverSelected) {
    Harness h;
    h.add("a", 1);
    h.add("b", 2);
    h.add("false", 3);
    h.run(300, {0, 100'000, 100'000'000}, {1, 1, 1}, {0, 0, 0});
    auto snap = h.engine->snapshot(h.clock.now_ns());
    ASSERT_EQ(snap.size(), 3u);
    EXPECT_EQ(snap[2].state, SourceState::kFalseticker);
    EXPECT_NE(snap[0].state, SourceState::kFalseticker);
    EXPECT_LT(std::abs(h.clock.offset_from_true_ns()), 1e6);
}

TEST(SyncEngine, TimeLoopIsLoggedByNameAndNotUsed) {
    Harness h;
    uint32_t us = proto::refid_from_ipv4({10, 0, 0, 1});
    h.cfg.selection.own_refids = {us};
    h.add("good", 1);
    h.add("dc.example", 2);
    h.run(100, {0, 5'000'000}, {1, 3}, {proto::refid_from_ascii("GPS"), us});
    auto snap = h.engine->snapshot(h.clock.now_ns());
    EXPECT_EQ(snap[1].state, SourceState::kTimeLoop);
    EXPECT_EQ(snap[0].state, SourceState::kSelected);
    bool logged = false;
    for (const auto& e : h.engine->take_events())
        if (e.kind == EngineEvent::Kind::kTimeLoop) {
            logged = true;
            EXPECT_NE(e.message.find("dc.example"), std::string::npos) << e.message;
            EXPECT_NE(e.message.find("10.0.0.1"), std::string::npos) << e.message;
        }
    EXPECT_TRUE(logged);
}

TEST(SyncEngine, PanicIsLoggedAndClockUntouched) {
    Harness h;
    h.cfg.discipline.panic_threshold_ns = 1000 * kS;
    h.add("far", 1);
    h.run(20, {5000 * kS}, {1}, {0});
    EXPECT_EQ(h.clock.steps(), 0);
    EXPECT_FALSE(h.engine->synchronized());
    bool panic = false;
    for (const auto& e : h.engine->take_events()) panic |= e.kind == EngineEvent::Kind::kPanic;
    EXPECT_TRUE(panic);
}

TEST(SyncEngine, ObserveModeMeasuresButNeverAdjusts) {
    int64_t fake_now = kT0;
    NullClock null([&] { return fake_now; });
    SeededRandom rng(1);
    EngineConfig cfg;
    cfg.discipline.step_threshold_ns = 20'000'000;  // 30 ms would be stepped
    SyncEngine e(cfg, null, rng);
    SourceConfig sc;
    sc.name = "s";
    sc.minpoll_log2 = 4;
    sc.maxpoll_log2 = 4;
    SourceActions a;
    SourceId id = e.add_source(sc, fake_now, &a);
    for (int i = 0; i < 6; ++i) {
        fake_now = *a.timer_at_ns;
        a = e.on_timer(id, fake_now);
        auto reply = answer(a, fake_now, 30'000'000, 1, 0);
        fake_now += 110'000;
        e.on_response(id, reply, fake_now, fake_now);
    }
    auto snap = e.snapshot(fake_now);
    EXPECT_NEAR(static_cast<double>(snap[0].offset_ns), 30'000'000.0, 10'000.0);
    EXPECT_NEAR(static_cast<double>(null.requested_step_ns()), 30'000'000.0, 10'000.0);
    EXPECT_EQ(null.frequency_ppm(), 0.0);
    EXPECT_FALSE(null.adjusts());
}

// The SimulatedClock itself is tested in tests/sim/test_kernel_model.cpp.

}  // namespace
}  // namespace ntplite::clock
