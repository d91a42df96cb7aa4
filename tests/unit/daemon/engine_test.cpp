// The engine's state seam: [local] / unsynchronized fallback, and the sync engine's state
// replacing it and being withdrawn. No [[server]] table, so no sockets are opened.
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

TEST(Engine, SourceStateReplacesTheLocalReferenceUntilWithdrawn) {
    auto cfg = config::parse_config("[local]\nstratum = 9\n", "t.toml");
    ASSERT_TRUE(cfg);
    Engine engine(std::move(*cfg));
    ASSERT_TRUE(engine.start());
    EXPECT_EQ(engine.advertised_state().stratum, 9);
    EXPECT_EQ(engine.advertised_state().refid, proto::refid_from_ascii("LOCL"));
    EXPECT_EQ(engine.advertised_state().leap, proto::LeapIndicator::kNone);

    proto::SystemState synced;
    synced.leap = proto::LeapIndicator::kNone;
    synced.stratum = 3;
    synced.refid = 0xc0000201;
    engine.set_synchronized_state(synced);
    EXPECT_EQ(engine.advertised_state().stratum, 3);
    EXPECT_EQ(engine.advertised_state().refid, 0xc0000201u);

    engine.set_synchronized_state(std::nullopt);
    EXPECT_EQ(engine.advertised_state().stratum, 9);
}

}  // namespace
}  // namespace ntplite::daemon
