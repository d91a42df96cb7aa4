// [clock] holdover (issue 6): seconds of holdover after the last source is lost.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace ntplite::config {
namespace {

TEST(HoldoverConfig, AbsentMeansNoLimit) {
    auto c = parse_config("", "test.toml");
    ASSERT_TRUE(c);
    EXPECT_LT(c->clock.holdover_s, 0.0);
}

TEST(HoldoverConfig, ReadsSecondsIntegerOrFloat) {
    auto c = parse_config("[clock]\nholdover = 30\n", "test.toml");
    ASSERT_TRUE(c);
    EXPECT_DOUBLE_EQ(c->clock.holdover_s, 30.0);
    c = parse_config("[clock]\nholdover = 0.5\n", "test.toml");
    ASSERT_TRUE(c);
    EXPECT_DOUBLE_EQ(c->clock.holdover_s, 0.5);
}

TEST(HoldoverConfig, NegativeOrTextIsAnErrorWithPosition) {
    auto c = parse_config("[clock]\nholdover = -1\n", "test.toml");
    ASSERT_FALSE(c);
    ASSERT_EQ(c.error().size(), 1u);
    EXPECT_EQ(c.error()[0].to_string().rfind("test.toml:2:", 0), 0u) << c.error()[0].to_string();
    EXPECT_NE(c.error()[0].message.find("holdover"), std::string::npos);
    c = parse_config("[clock]\nholdover = \"1h\"\n", "test.toml");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error()[0].message.find("must be a number"), std::string::npos);
}

}  // namespace
}  // namespace ntplite::config
