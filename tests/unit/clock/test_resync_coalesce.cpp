// Issue 14: resync is coalesced per source: a burst in progress absorbs new requests, and at most
// one burst starts per minimum poll interval (39,920 resync lines once sent 39,921 requests).
#include <gtest/gtest.h>

#include "clock/engine.hpp"
#include "clock/source.hpp"
#include "clock/system_clock.hpp"

namespace ntplite::clock {
namespace {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kS;

TEST(ResyncCoalesce, AFloodOfResyncsSendsABoundedNumberOfRequests) {
    NullClock clk([] { return kT0; });
    SeededRandom rng(2);
    SyncEngine engine(EngineConfig{}, clk, rng);
    for (int i = 0; i < 3; ++i) {
        SourceConfig sc;
        sc.name = "s" + std::to_string(i);
        sc.minpoll_log2 = 6;
        SourceId id = 0;
        engine.add_source(sc, LocalTime{kT0}, &id);
    }
    std::size_t bursts = 0;
    // 40,000 resync requests over 5 s: at most one burst per source.
    for (int64_t i = 0; i < 40'000; ++i)
        bursts += engine.burst_all(LocalTime{kT0 + i * 125'000}).actions.size();
    EXPECT_EQ(bursts, 3u);
}

}  // namespace
}  // namespace ntplite::clock
