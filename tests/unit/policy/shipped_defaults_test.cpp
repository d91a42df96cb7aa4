// One source of truth for the defaults (issue 11): the packaged config, an empty config and the
// simulator's defaults (clock::EngineConfig{}, clock::SlewOptions{}) must all give the engine the
// same configuration. Fails if packaging/ntpd-lite.toml, config/ or clock/defaults.hpp diverge.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "clock/config.hpp"
#include "clock/defaults.hpp"
#include "config/config.hpp"
#include "daemon/policy/sync/sync_config.hpp"

namespace ntplite::daemon {
namespace {

std::string packaged_config() {
    std::ifstream f(std::string(NTPLITE_SOURCE_DIR) + "/packaging/ntpd-lite.toml");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Every field the discipline and selection read, compared one by one.
void expect_same_engine(const clock::EngineConfig& a, const clock::EngineConfig& b,
                        const char* what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(a.discipline.step_threshold_ns, b.discipline.step_threshold_ns);
    EXPECT_EQ(a.discipline.step_limit_updates, b.discipline.step_limit_updates);
    EXPECT_EQ(a.discipline.panic_threshold_ns, b.discipline.panic_threshold_ns);
    EXPECT_EQ(a.discipline.max_backward_step_ns, b.discipline.max_backward_step_ns);
    EXPECT_EQ(a.discipline.max_frequency_ppm, b.discipline.max_frequency_ppm);
    EXPECT_EQ(a.selection.min_sane_sources, b.selection.min_sane_sources);
    EXPECT_EQ(a.holdover_ns, b.holdover_ns);
}

TEST(ShippedDefaults, PackagedConfigEqualsEmptyConfigEqualsSimulator) {
    std::string text = packaged_config();
    ASSERT_FALSE(text.empty()) << "packaging/ntpd-lite.toml not found";
    auto packaged = config::parse_config(text, "ntpd-lite.toml");
    ASSERT_TRUE(packaged) << packaged.error().front().to_string();
    auto empty = config::parse_config("", "empty.toml");
    ASSERT_TRUE(empty);
    const clock::EngineConfig sim;  // what tests/sim runs unless a scenario says otherwise
    int8_t precision = sim.precision_log2;
    expect_same_engine(engine_config_from(packaged->clock, precision, {}), sim, "packaged");
    expect_same_engine(engine_config_from(empty->clock, precision, {}), sim, "empty");
    // The slew rate goes to the driver (clock::SlewOptions{} defaults to the same constant,
    // checked in tests/unit/clock_os), not the engine.
    EXPECT_EQ(packaged->clock.max_slew_rate_ppm, clock::defaults::kMaxSlewRate_ppm);
    EXPECT_EQ(empty->clock.max_slew_rate_ppm, clock::defaults::kMaxSlewRate_ppm);
    // The packaged pool's poll range is the default one, and so is the core's.
    ASSERT_FALSE(packaged->sources.empty());
    EXPECT_EQ(packaged->sources[0].minpoll_log2, clock::defaults::kMinpollLog2);
    EXPECT_EQ(packaged->sources[0].maxpoll_log2, clock::defaults::kMaxpollLog2);
    EXPECT_EQ(clock::SourceConfig{}.minpoll_log2, clock::defaults::kMinpollLog2);
    EXPECT_EQ(clock::SourceConfig{}.maxpoll_log2, clock::defaults::kMaxpollLog2);
}

// The comparison itself can fail: a changed key in the packaged file is caught.
TEST(ShippedDefaults, ADivergentValueIsCaught) {
    std::string text = packaged_config();
    auto pos = text.find("step_threshold = 0.128");
    ASSERT_NE(pos, std::string::npos) << "the packaged file must show the step threshold";
    text.replace(pos, 22, "step_threshold = 0.020");
    auto changed = config::parse_config(text, "ntpd-lite.toml");
    ASSERT_TRUE(changed);
    EXPECT_NE(engine_config_from(changed->clock, -20, {}).discipline.step_threshold_ns,
              clock::EngineConfig{}.discipline.step_threshold_ns);
}

}  // namespace
}  // namespace ntplite::daemon
