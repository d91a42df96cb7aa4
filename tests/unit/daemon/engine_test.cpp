// The engine's state seam: what is served is what the sync core decided ([local] fallback or
// unsynchronized without sources). No [[server]] table, so no NTP sockets are opened.
#include <gtest/gtest.h>

#include "daemon/engine.hpp"
#include "proto/refid.hpp"

namespace ntplite::daemon {
namespace {

TEST(Engine, UnsynchronizedWithoutLocalReference) {
    auto cfg = config::parse_config("", "t.toml");
    ASSERT_TRUE(cfg);
    Engine engine(std::move(*cfg));
    ASSERT_TRUE(engine.start());
    EXPECT_EQ(engine.worker_count(), 0u);
    EXPECT_EQ(engine.advertised_state().leap, proto::LeapIndicator::kUnsynchronized);
    EXPECT_EQ(engine.advertised_state().stratum, 16);
}

TEST(Engine, TheCoreDecidesTheLocalFallbackEvenWithoutSources) {
    auto cfg = config::parse_config("[local]\nstratum = 9\n", "t.toml");
    ASSERT_TRUE(cfg);
    Engine engine(std::move(*cfg));
    ASSERT_TRUE(engine.start());
    EXPECT_EQ(engine.advertised_state().stratum, 9);
    EXPECT_EQ(engine.advertised_state().refid, clock::kLocalFallbackRefid);
    EXPECT_EQ(engine.advertised_state().leap, proto::LeapIndicator::kNone);
    ASSERT_NE(engine.sync(), nullptr);
    EXPECT_EQ(engine.sync()->status().state, clock::SyncState::kLocal);
    EXPECT_EQ(engine.sync()->status().reason, clock::UnsyncReason::kNoSources);
}

}  // namespace
}  // namespace ntplite::daemon
