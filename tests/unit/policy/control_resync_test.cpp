// resync's engine hook: SyncEngine::burst_all() makes every live source poll at once and then
// send quick requests (iburst-style), where normal polling would wait a whole poll interval.
#include <gtest/gtest.h>

#include "clock/engine.hpp"
#include "clock/random.hpp"
#include "clock/system_clock.hpp"
#include "daemon/policy/monitor/control_snapshot.hpp"

namespace ntplite::daemon {
namespace {

constexpr int64_t kT0 = 1'795'345'731'000'000'000;

TEST(ControlResync, BurstAllPollsEverySourceNowAndQuickly) {
    clock::EngineConfig cfg;
    clock::SimulatedClock clk{clock::SimulatedClockParams{}, kT0};
    clock::SeededRandom rng{3};
    clock::SyncEngine engine(cfg, clk, rng);
    std::vector<clock::SourceId> ids;
    for (uint8_t last : {1, 2}) {
        clock::SourceConfig sc;
        sc.name = "192.0.2." + std::to_string(last) + ":123";
        sc.address = config::IpAddress::from_v4({192, 0, 2, last});
        sc.port = 123;
        sc.minpoll_log2 = 10;  // 1024 s: nothing would happen for a long time
        sc.maxpoll_log2 = 10;
        clock::SourceId id = 0;
        engine.add_source(sc, clock::LocalTime{kT0}, &id);
        ids.push_back(id);
    }
    const clock::LocalTime now{kT0 + 5'000'000'000};
    auto bursts = engine.burst_all(now).actions;
    ASSERT_EQ(bursts.size(), 2u);
    for (const auto& [id, a] : bursts) {
        ASSERT_TRUE(a.timer_at_ns.has_value());
        EXPECT_EQ(*a.timer_at_ns, now.ns);  // at once
        const clock::SourceActions t1 = engine.on_timer(id, now).actions.at(0).second;
        EXPECT_TRUE(t1.send);
        ASSERT_TRUE(t1.timer_at_ns.has_value());
        EXPECT_LE(*t1.timer_at_ns - now.ns,
                  2'000'000'000);  // the next request within 2 s, not 1024 s
    }
    const MonitorSnapshot m = snapshot_from_engine(engine, now);
    ASSERT_EQ(m.sources.size(), 2u);
    EXPECT_EQ(m.sources[0].requests_sent, 1u);
    EXPECT_EQ(m.sources[0].address, "192.0.2.1");
    EXPECT_EQ(m.sources[0].port, 123);
    EXPECT_EQ(m.sources[0].min_poll_log2, 10);
    // A second resync while the bursts are under way is coalesced: no extra requests.
    EXPECT_TRUE(engine.burst_all(now).actions.empty());
    engine.remove_source(ids[1], now);
    EXPECT_EQ(snapshot_from_engine(engine, now).sources.size(), 1u);  // removed: not shown
}

}  // namespace
}  // namespace ntplite::daemon
