// SyncEngine: what the core decides and reports (issue 10): typed updates, the system status,
// the leap vote, selection hysteresis, no-majority, RFC 5905 filter/distance details, holdover
// and the local fallback, and the kernel status — all asserted on the reported updates.
#include <gtest/gtest.h>

#include <array>

#include "clock/engine.hpp"
#include "clock/system_clock.hpp"
#include "proto/packet.hpp"
#include "proto/refid.hpp"
#include "tests/unit/clock/engine_harness.hpp"

namespace ntplite::clock {
namespace {

using namespace testing;
using proto::LeapIndicator;

TEST(SyncEngine, SynchronizesAndAdvertisesTheSystemState) {
    Harness h(kNovember, -50 * kMs);
    h.cfg.discipline.step_threshold_ns = 20 * kMs;  // 50 ms is stepped (shipped: slewed)
    h.add();
    EXPECT_EQ(h.engine->system_state(h.now()).stratum, 16);
    EXPECT_EQ(h.engine->system_state(h.now()).leap, LeapIndicator::kUnsynchronized);
    EXPECT_EQ(h.status.state, SyncState::kUnsynchronized);
    EXPECT_EQ(h.status.reason, UnsyncReason::kStarting);
    h.run(120);
    ASSERT_EQ(h.status.state, SyncState::kSynchronized);
    EXPECT_EQ(h.status.system_peer, h.ids[0]);
    proto::SystemState st = h.engine->system_state(h.now());
    EXPECT_EQ(st.stratum, 2);
    EXPECT_EQ(st.refid, proto::refid_from_ipv4({192, 0, 2, 1}));
    EXPECT_EQ(st.leap, LeapIndicator::kNone);
    EXPECT_GE(st.root_delay.to_ns(), 2 * kMs) << "server's root delay plus ours";
    EXPECT_GE(st.root_dispersion.to_ns(), 1 * kMs);
    EXPECT_LT(std::abs(h.clock.offset_from_true_ns()), 1e6);
    EXPECT_EQ(h.clock.steps, 1);
    EXPECT_EQ(h.count_events(EngineEvent::Kind::kStep), 1);
    EXPECT_TRUE(h.clock.synced) << "the core clears STA_UNSYNC at its updates";
    auto snap = h.snap(0);
    EXPECT_EQ(snap.state, SourceState::kSelected);
    EXPECT_EQ(snap.reach & 1, 1);
    EXPECT_EQ(snap.stratum, 1);
    // No more updates: after ~1.5 s / 15 ppm = 100,000 s the state is served as unsynchronized.
    EXPECT_EQ(h.engine->system_state(LocalTime{h.clock.now_ns() + 50'000 * kS}).stratum, 2);
    EXPECT_EQ(h.engine->system_state(LocalTime{h.clock.now_ns() + 100'000 * kS}).stratum, 16);
}

TEST(SyncEngine, TransitionsAreReportedOncePerChange) {
    Harness h;
    h.add();
    h.run(120);
    std::vector<SourceTransition> seen;
    for (const auto& u : h.updates)
        for (const auto& t : u.transitions) seen.push_back(t);
    ASSERT_FALSE(seen.empty());
    for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_NE(seen[i].from, seen[i].to);
    for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_EQ(seen[i].from, seen[i - 1].to);
    EXPECT_EQ(seen.back().to, SourceState::kSelected);
    // 120 s of polls and ticks, but the status changed only a couple of times.
    EXPECT_LE(h.status_reports, 3);
}

TEST(SyncEngine, FalsetickerIsMarkedAndNeverSelected) {
    Harness h;
    h.add();
    h.add(FakeServer{.offset_ns = 100'000});
    h.add(FakeServer{.offset_ns = 100 * kMs});
    h.run(300);
    EXPECT_EQ(h.snap(2).state, SourceState::kFalseticker);
    EXPECT_NE(h.snap(0).state, SourceState::kFalseticker);
    EXPECT_LT(std::abs(h.clock.offset_from_true_ns()), 1e6);
}

TEST(SyncEngine, TimeLoopIsReportedWithTheSourceAndNotUsed) {
    Harness h;
    uint32_t us = proto::refid_from_ipv4({10, 0, 0, 1});
    h.cfg.selection.own_refids = {us};
    h.add();
    h.add(FakeServer{.offset_ns = 5 * kMs, .stratum = 3, .refid = us});
    h.run(100);
    EXPECT_EQ(h.snap(1).state, SourceState::kTimeLoop);
    EXPECT_EQ(h.snap(0).state, SourceState::kSelected);
    int loops = 0;
    for (const auto& u : h.updates)
        for (const auto& e : u.events)
            if (e.kind == EngineEvent::Kind::kTimeLoop) {
                ++loops;
                EXPECT_EQ(e.source, h.ids[1]);
                EXPECT_EQ(e.refid, us);
                EXPECT_EQ(e.stratum, 3);
            }
    EXPECT_EQ(loops, 1) << "reported once, not per sample";
}

TEST(SyncEngine, PanicIsReportedAndTheClockUntouchedAndNotServed) {
    Harness h;
    h.cfg.discipline.panic_threshold_ns = 1000 * kS;
    h.add(FakeServer{.offset_ns = 5000 * kS});
    h.run(30);
    EXPECT_EQ(h.clock.steps, 0);
    EXPECT_EQ(h.status.state, SyncState::kUnsynchronized);
    EXPECT_EQ(h.status.reason, UnsyncReason::kPanic);
    EXPECT_GE(h.count_events(EngineEvent::Kind::kPanic), 1);
    EXPECT_EQ(h.engine->system_state(h.now()).leap, LeapIndicator::kUnsynchronized);
}

TEST(SyncEngine, ObserveModeMeasuresButNeverAdjusts) {
    int64_t fake_now = kNovember;
    NullClock null([&] { return fake_now; });
    SeededRandom rng(1);
    EngineConfig cfg;
    cfg.discipline.step_threshold_ns = 20 * kMs;  // 30 ms would be stepped (shipped: slewed)
    SyncEngine e(cfg, null, rng);
    SourceConfig sc;
    sc.name = "s";
    sc.minpoll_log2 = 4;
    sc.maxpoll_log2 = 4;
    sc.iburst = true;
    SourceId id = 0;
    EngineUpdate up = e.add_source(sc, LocalTime{fake_now}, &id);
    int64_t timer = *up.actions.at(0).second.timer_at_ns;
    for (int i = 0; i < 8; ++i) {
        fake_now = timer;
        up = e.on_timer(id, LocalTime{fake_now});
        const SourceActions& a = up.actions.at(0).second;
        timer = *a.timer_at_ns;
        auto q = proto::parse(a.request.view());
        proto::Packet p;
        p.mode = proto::Mode::kServer;
        p.stratum = 1;
        p.origin = q->transmit;
        p.receive = proto::NtpTimestamp::from_unix_ns(fake_now + 50'000 + 30 * kMs);
        p.transmit = proto::NtpTimestamp::from_unix_ns(fake_now + 60'000 + 30 * kMs);
        std::array<std::byte, proto::kHeaderSize> reply{};
        proto::serialize(p, reply);
        fake_now += 110'000;
        e.on_response(id, reply, LocalTime{fake_now}, LocalTime{fake_now});
    }
    auto snap = e.snapshot(LocalTime{fake_now});
    EXPECT_NEAR(static_cast<double>(snap[0].offset_ns), 30'000'000.0, 10'000.0);
    EXPECT_NEAR(static_cast<double>(null.requested_step_ns()), 30'000'000.0, 10'000.0);
    EXPECT_EQ(null.frequency_ppm(), 0.0);
    EXPECT_FALSE(null.adjusts());
}

// ---- Leap second: voted by every truechimer, June/December only --------------------------------

// Server 0 (stratum 1, the system peer) announces `peer_leap`; servers 1 and 2 (stratum 2)
// announce `others_leap`.
Harness leap_world(int64_t start_ns, LeapIndicator peer_leap, LeapIndicator others_leap,
                   int64_t holdover_ns = -1) {
    Harness h(start_ns);
    h.cfg.holdover_ns = holdover_ns;
    h.add(FakeServer{.stratum = 1, .leap = peer_leap});
    h.add(FakeServer{.offset_ns = 50'000, .stratum = 2, .leap = others_leap});
    h.add(FakeServer{.offset_ns = -50'000, .stratum = 2, .leap = others_leap});
    return h;
}

TEST(SyncEngineLeap, OneSourceOfThreeCannotArmALeapEvenAsTheSystemPeer) {
    Harness h = leap_world(kJune30, LeapIndicator::kInsertSecond, LeapIndicator::kNone);
    h.run(120);
    ASSERT_EQ(h.status.state, SyncState::kSynchronized);
    ASSERT_EQ(h.status.system_peer, h.ids[0]) << "the stratum-1 source is the system peer";
    EXPECT_EQ(h.status.leap, LeapIndicator::kNone);
    EXPECT_EQ(h.engine->system_state(h.now()).leap, LeapIndicator::kNone);
    EXPECT_EQ(h.clock.kernel_leap, LeapIndicator::kNone);
}

TEST(SyncEngineLeap, TwoOfThreeArmItForClientsAndKernelOnTheLastDayOfJune) {
    Harness h = leap_world(kJune30, LeapIndicator::kNone, LeapIndicator::kInsertSecond);
    h.run(120);
    ASSERT_EQ(h.status.state, SyncState::kSynchronized);
    EXPECT_EQ(h.status.leap, LeapIndicator::kInsertSecond);
    EXPECT_EQ(h.engine->system_state(h.now()).leap, LeapIndicator::kInsertSecond);
    EXPECT_EQ(h.clock.kernel_leap, LeapIndicator::kInsertSecond);
    EXPECT_GE(h.count_events(EngineEvent::Kind::kLeap), 1);
}

TEST(SyncEngineLeap, AnAnnouncementInNovemberIsIgnored) {
    Harness h = leap_world(kNovember, LeapIndicator::kInsertSecond, LeapIndicator::kInsertSecond);
    h.run(120);
    ASSERT_EQ(h.status.state, SyncState::kSynchronized);
    EXPECT_EQ(h.engine->system_state(h.now()).leap, LeapIndicator::kNone);
    EXPECT_EQ(h.clock.kernel_leap, LeapIndicator::kNone);
}

TEST(SyncEngineLeap, ArmedLeapIsWithdrawnWhenSynchronizationIsLost) {
    Harness h = leap_world(kJune30, LeapIndicator::kInsertSecond, LeapIndicator::kInsertSecond, 0);
    h.run(120);
    ASSERT_EQ(h.clock.kernel_leap, LeapIndicator::kInsertSecond);
    for (auto& s : h.servers) s.answering = false;
    h.run(120);
    EXPECT_EQ(h.status.state, SyncState::kUnsynchronized);
    EXPECT_EQ(h.clock.kernel_leap, LeapIndicator::kNone);
}

// ---- Selection -----------------------------------------------------------------------------

TEST(SyncEngineSelection, EquallyGoodSourcesDoNotTakeTurns) {
    Harness h;
    for (int i = 0; i < 3; ++i) h.add(FakeServer{.delay_noise_ns = 200'000}, 4);
    h.run(600);
    ASSERT_EQ(h.status.state, SyncState::kSynchronized);
    // Without hysteresis the best-merit source changes with every noisy sample (dozens of
    // changes in 10 minutes); the system peer is kept while it survives.
    EXPECT_LE(h.peer_changes, 2);
}

TEST(SyncEngineSelection, NoMajorityFromTheStartNeverSynchronizes) {
    Harness h;
    h.add();
    h.add(FakeServer{.offset_ns = 20'000});
    h.add(FakeServer{.offset_ns = 500 * kMs});
    h.add(FakeServer{.offset_ns = -300 * kMs});
    // Until the filters fill, MAXDISP in the empty stages makes every correctness interval about
    // +-1 s wide, so a 0.5 s disagreement can still intersect; once they are full it cannot.
    h.run(300);
    EXPECT_EQ(h.status.state, SyncState::kUnsynchronized);
    EXPECT_EQ(h.status.reason, UnsyncReason::kNoMajority);
    EXPECT_EQ(h.engine->system_state(h.now()).stratum, 16);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(h.snap(i).state, SourceState::kFalseticker);
}

TEST(SyncEngineSelection, NoMajorityMeansUnsynchronizedAtOnce) {
    Harness h;
    h.add();
    h.add(FakeServer{.offset_ns = 20'000});
    h.add(FakeServer{.offset_ns = -20'000});
    h.add(FakeServer{.offset_ns = 10'000});
    h.run(120);
    ASSERT_EQ(h.status.state, SyncState::kSynchronized);
    // Two of four start to disagree (+0.5 s, -0.3 s): no interval holds three of them.
    h.servers[2].offset_ns = 500 * kMs;
    h.servers[3].offset_ns = -300 * kMs;
    const int64_t changed_ns = h.clock.now_ns();
    int64_t unsync_ns = -1;
    for (int s = 0; s < 80 && unsync_ns < 0; ++s) {
        h.run(1);
        if (h.status.state == SyncState::kUnsynchronized) unsync_ns = h.clock.now_ns();
    }
    ASSERT_GE(unsync_ns, 0) << "still " << to_string(h.status.state);
    EXPECT_EQ(h.status.reason, UnsyncReason::kNoMajority);
    // The 8-stage filter keeps an older minimum-delay sample as a source's best until a new one
    // is as good, so the disagreement shows within a few polls (16 s each) of each source, and
    // the moment it shows, clients are told.
    EXPECT_LE(unsync_ns - changed_ns, 49 * kS);
    proto::SystemState served = h.engine->system_state(h.now());
    EXPECT_EQ(served.leap, LeapIndicator::kUnsynchronized);
    EXPECT_EQ(served.stratum, 16);
    EXPECT_FALSE(h.clock.synced) << "kernel told: unsynchronized";
}

TEST(SyncEngineSelection, OneSampleIsNotEnoughWithoutABurst) {
    // RFC 5905: empty filter stages count as MAXDISP, so one sample gives a root distance far
    // above 1.5 s; only a filled filter (4+ samples) is selectable.
    Harness h;
    h.add(FakeServer{}, 4, /*iburst=*/false);
    h.run(20);  // one poll
    EXPECT_GT(h.snap(0).dispersion_ns, 1500 * kMs);
    EXPECT_EQ(h.snap(0).state, SourceState::kTooFar);
    EXPECT_NE(h.status.state, SyncState::kSynchronized);
    h.run(80);  // five more polls
    EXPECT_EQ(h.snap(0).state, SourceState::kSelected);
    EXPECT_EQ(h.status.state, SyncState::kSynchronized);
}

TEST(SyncEngineSelection, RootDistanceHasTheMinimumDispersionAndAJitterFloor) {
    Harness h;
    h.add(FakeServer{.one_way_ns = 1'000});  // a 2 us path: the delay term is still MINDISP/2
    h.run(200);
    SourceSnapshot s = h.snap(0);
    EXPECT_GE(s.root_distance_ns, 5 * kMs);
    EXPECT_GE(s.jitter_ns, 1) << "floored at the precision";
}

TEST(SyncEngineSelection, APopcornSpikeIsNotFedToTheDiscipline) {
    Harness h;
    h.add();
    h.run(200);
    ASSERT_EQ(h.status.state, SyncState::kSynchronized);
    const std::size_t before = h.updates.size();
    h.servers[0].spike_next_ns = 30 * kMs;
    h.run(16);
    bool spike_seen = false;
    for (std::size_t k = before; k < h.updates.size(); ++k) {
        const auto& u = h.updates[k];
        if (u.response && u.response->spike) {
            spike_seen = true;
            EXPECT_FALSE(u.clock_update) << "a spike must not update the clock";
        }
    }
    EXPECT_TRUE(spike_seen);
    EXPECT_LT(std::abs(h.clock.offset_from_true_ns()), 1e6);
}

// ---- when/rec, kiss, resync -----------------------------------------------------------------

TEST(SyncEngineSources, WhenIsTheAgeOfTheLastReplyNotOfTheBestSample) {
    Harness h;
    h.add();
    h.run(100);
    // Later replies take longer: the filter keeps its old minimum-delay sample as best.
    h.servers[0].one_way_ns = 5 * kMs;
    h.run(64);
    SourceSnapshot s = h.snap(0);
    EXPECT_LT(s.last_sample_time_ns, s.last_reply_time_ns);
    EXPECT_LE(h.clock.now_ns() - s.last_reply_time_ns, 17 * kS);
}

TEST(SyncEngineSources, AKissIsPartOfTheSourceState) {
    Harness h;
    h.add();
    h.add(FakeServer{.offset_ns = 10'000});
    h.run(60);
    h.servers[1].kiss = "RATE";
    h.run(40);
    SourceSnapshot s = h.snap(1);
    EXPECT_EQ(s.state, SourceState::kRateLimited);
    ASSERT_TRUE(s.kiss);
    EXPECT_EQ(*s.kiss, proto::KissCode::kRate);
    EXPECT_EQ(proto::format_refid(s.refid, 0), ".RATE.");
    h.servers[1].kiss = "DENY";
    h.run(400);
    EXPECT_EQ(h.snap(1).state, SourceState::kDenied);
    EXPECT_GE(h.count_events(EngineEvent::Kind::kKissDeny), 1);
}

TEST(SyncEngineSources, ResyncIsCoalesced) {
    Harness h;
    h.add(FakeServer{}, 4);
    h.run(60);
    EngineUpdate first = h.engine->burst_all(h.now());
    EXPECT_EQ(first.actions.size(), 1u);
    EngineUpdate again = h.engine->burst_all(h.now());
    EXPECT_TRUE(again.actions.empty()) << "a burst is under way";
    h.record(first);
    h.run(10);  // the burst (4 requests 2 s apart) is over
    EXPECT_TRUE(h.engine->burst_all(h.now()).actions.empty())
        << "less than one minpoll (16 s) since the last resync burst";
    h.run(10);
    EXPECT_EQ(h.engine->burst_all(h.now()).actions.size(), 1u);
}

// ---- Holdover, local fallback, kernel status ---------------------------------------------------

TEST(SyncEngineHoldover, HoldoverIsReportedAsSuchThenUnsynchronized) {
    Harness h;
    h.cfg.holdover_ns = 120 * kS;
    h.add(FakeServer{}, 2);
    h.run(60);
    ASSERT_EQ(h.status.state, SyncState::kSynchronized);
    proto::SystemState live = h.engine->system_state(h.now());
    for (auto& s : h.servers) s.answering = false;
    h.run(30);
    EXPECT_EQ(h.status.state, SyncState::kHoldover);
    EXPECT_EQ(h.status.reason, UnsyncReason::kAllUnreachable);
    EXPECT_FALSE(h.status.system_peer) << "no source is followed in holdover";
    SystemStatus now_status = h.engine->status(h.now());
    EXPECT_GT(now_status.holdover_left_ns, 60 * kS);
    EXPECT_LT(now_status.holdover_left_ns, 120 * kS);
    proto::SystemState held = h.engine->system_state(h.now());
    EXPECT_EQ(held.stratum, live.stratum);
    EXPECT_NE(held.leap, LeapIndicator::kUnsynchronized);
    EXPECT_GT(held.root_dispersion.to_ns(), live.root_dispersion.to_ns());
    EXPECT_TRUE(h.clock.synced) << "the kernel keeps counting its error in holdover";
    EXPECT_EQ(h.snap(0).state, SourceState::kUnreachable);
    h.run(120);
    EXPECT_EQ(h.status.state, SyncState::kUnsynchronized);
    EXPECT_EQ(h.status.reason, UnsyncReason::kAllUnreachable);
    EXPECT_EQ(h.engine->system_state(h.now()).stratum, 16);
    EXPECT_FALSE(h.clock.synced) << "the core set STA_UNSYNC again";
    // The source comes back.
    for (auto& s : h.servers) s.answering = true;
    h.run(30);
    EXPECT_EQ(h.status.state, SyncState::kSynchronized);
    EXPECT_TRUE(h.clock.synced);
}

TEST(SyncEngineHoldover, LosingTheSystemPeerWithOthersLeftIsNotHoldover) {
    Harness h;
    h.add(FakeServer{.stratum = 1}, 2);
    h.add(FakeServer{.offset_ns = 20'000, .stratum = 2}, 2);
    h.add(FakeServer{.offset_ns = -20'000, .stratum = 2}, 2);
    h.run(60);
    ASSERT_EQ(h.status.system_peer, h.ids[0]);
    h.servers[0].answering = false;
    const std::size_t before = h.updates.size();
    h.run(60);
    EXPECT_EQ(h.status.state, SyncState::kSynchronized);
    ASSERT_TRUE(h.status.system_peer);
    EXPECT_NE(*h.status.system_peer, h.ids[0]);
    for (std::size_t k = before; k < h.updates.size(); ++k) {
        if (h.updates[k].status) {
            EXPECT_NE(h.updates[k].status->state, SyncState::kHoldover);
        }
    }
}

TEST(SyncEngineHoldover, UnlimitedHoldoverEndsWhenTheErrorBoundIsTooLarge) {
    Harness h;
    h.add(FakeServer{}, 2);
    h.run(60);
    for (auto& s : h.servers) s.answering = false;
    h.servers[0].answering = false;
    h.run(600);
    EXPECT_EQ(h.status.state, SyncState::kHoldover);
    EXPECT_EQ(h.engine->status(h.now()).holdover_left_ns, -1);
    // 15 ppm of dispersion growth reaches 1.5 s after ~100,000 s.
    EXPECT_EQ(h.engine->system_state(LocalTime{h.clock.now_ns() + 110'000 * kS}).stratum, 16);
}

TEST(SyncEngineHoldover, LocalFallbackIsReportedAsLocal) {
    Harness h;
    h.cfg.local_stratum = 7;
    h.cfg.holdover_ns = 10 * kS;
    h.make();
    h.record(h.engine->tick(h.now()));
    EXPECT_EQ(h.status.state, SyncState::kLocal);
    EXPECT_EQ(h.status.reason, UnsyncReason::kNoSources);
    proto::SystemState local = h.engine->system_state(h.now());
    EXPECT_EQ(local.stratum, 7);
    EXPECT_EQ(local.leap, LeapIndicator::kNone);
    EXPECT_EQ(local.refid, kLocalFallbackRefid);
    EXPECT_EQ(proto::format_refid(local.refid, 7), "127.127.1.1");
    h.add(FakeServer{}, 2);
    h.run(60);
    EXPECT_EQ(h.status.state, SyncState::kSynchronized);
    h.servers[0].answering = false;
    h.run(60);
    EXPECT_EQ(h.status.state, SyncState::kLocal);
    EXPECT_EQ(h.status.reason, UnsyncReason::kAllUnreachable);
    EXPECT_EQ(h.engine->system_state(h.now()).stratum, 7);
}

TEST(SyncEngineHoldover, NeverSynchronizedIsNeverInHoldover) {
    Harness h;
    h.cfg.holdover_ns = 60 * kS;
    h.add(FakeServer{.answering = false}, 2);
    h.run(30);
    EXPECT_EQ(h.status.state, SyncState::kUnsynchronized);
    EXPECT_EQ(h.status.reason, UnsyncReason::kStarting);
}

// The simulator's clock is tested in tests/sim/test_kernel_model.cpp.

}  // namespace
}  // namespace ntplite::clock
