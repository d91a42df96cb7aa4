// [clock] holdover -> the sync core's EngineConfig::holdover_ns (issue 6).
#include <gtest/gtest.h>

#include "daemon/policy/sync/sync_config.hpp"

namespace ntplite::daemon {
namespace {

TEST(SyncHoldoverConfig, SecondsMapToNanosecondsAndAbsentToNoLimit) {
    config::ClockConfig c;
    EXPECT_LT(engine_config_from(c, -20, {}).holdover_ns, 0);
    c.holdover_s = 0.0;
    EXPECT_EQ(engine_config_from(c, -20, {}).holdover_ns, 0);
    c.holdover_s = 90.5;
    EXPECT_EQ(engine_config_from(c, -20, {}).holdover_ns, 90'500'000'000);
}

}  // namespace
}  // namespace ntplite::daemon
