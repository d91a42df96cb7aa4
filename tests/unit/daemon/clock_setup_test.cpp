// ClockSetup against a fake kernel: which clock each mode gets, the drift file at start, the
// EPERM fallback, and that nothing is saved before the discipline learned anything.
#include "daemon/sync/clock_setup.hpp"
#include "config/os/config_file.hpp"

#include <gtest/gtest.h>
#include <sys/timex.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <vector>

namespace ntplite::daemon {
namespace {

constexpr int64_t kNow_ns = 1'800'000'000'000'000'000;

/// A fake clock_adjtime: records every call; refuses everything with `refuse_errno` if set.
struct FakeKernel {
    std::vector<struct timex> calls;
    long freq_scaled = 0;
    int refuse_errno = 0;
    clock::AdjtimeFn fn() {
        return [this](struct timex& tx) {
            calls.push_back(tx);
            if (tx.modes != 0 && refuse_errno != 0) {
                errno = refuse_errno;
                return -1;
            }
            if (tx.modes & ADJ_FREQUENCY) freq_scaled = tx.freq;
            tx.freq = freq_scaled;
            return TIME_OK;
        };
    }
};

std::string temp_path(const char* name) {
    return (std::filesystem::temp_directory_path() /
            (std::string("ntplite-clock-setup-") + std::to_string(::getpid()) + "-" + name))
        .string();
}

config::ClockConfig discipline(const std::string& drift) {
    config::ClockConfig c;
    c.mode = config::ClockMode::kDiscipline;
    c.drift_file = drift;
    return c;
}

TEST(ClockSetup, ObserveModeNeverCallsTheKernel) {
    FakeKernel k;
    config::ClockConfig c;
    c.mode = config::ClockMode::kObserve;
    ClockSetup s(c, k.fn(), [] { return kNow_ns; });
    EXPECT_FALSE(s.disciplining());
    EXPECT_FALSE(s.clock().adjusts());
    EXPECT_EQ(s.clock().now_ns(), kNow_ns);
    EXPECT_DOUBLE_EQ(s.initial_frequency_ppm(), 0.0);
    EXPECT_TRUE(k.calls.empty());
}

TEST(ClockSetup, DriftFileFrequencyIsAppliedAtStart) {
    std::string path = temp_path("good");
    std::ofstream(path) << "-42.250000\n";
    FakeKernel k;
    ClockSetup s(discipline(path), k.fn(), [] { return kNow_ns; });
    EXPECT_TRUE(s.disciplining());
    EXPECT_DOUBLE_EQ(s.initial_frequency_ppm(), -42.25);
    EXPECT_EQ(k.freq_scaled, static_cast<long>(-42.25 * 65536));
    std::filesystem::remove(path);
}

TEST(ClockSetup, CorruptDriftFileStartsFromTheKernelValue) {
    std::string path = temp_path("corrupt");
    std::ofstream(path) << "not a number\n";
    FakeKernel k;
    k.freq_scaled = 0;
    ClockSetup s(discipline(path), k.fn(), [] { return kNow_ns; });
    EXPECT_TRUE(s.disciplining());
    EXPECT_DOUBLE_EQ(s.initial_frequency_ppm(), 0.0);
    std::filesystem::remove(path);
}

TEST(ClockSetup, EpermFallsBackToObserveMode) {
    FakeKernel k;
    k.refuse_errno = EPERM;
    std::string path = temp_path("eperm");
    std::ofstream(path) << "12.000000\n";
    ClockSetup s(discipline(path), k.fn(), [] { return kNow_ns; });
    EXPECT_FALSE(s.disciplining());
    EXPECT_FALSE(s.clock().adjusts());
    EXPECT_DOUBLE_EQ(s.initial_frequency_ppm(), 0.0);  // observe: estimates against the free clock
    std::filesystem::remove(path);
}

TEST(ClockSetup, NothingIsSavedBeforeTheDisciplineLearned) {
    std::string path = temp_path("unlearned");
    std::filesystem::remove(path);
    FakeKernel k;
    ClockSetup s(discipline(path), k.fn(), [] { return kNow_ns; });
    clock::EngineConfig ec;
    clock::SeededRandom rng(1);
    clock::SyncEngine engine(ec, s.clock(), rng, s.initial_frequency_ppm());
    s.update(engine, clock::MonoTime{1'000'000'000});
    s.shutdown(engine, clock::MonoTime{2'000'000'000});
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ClockSetup, WithoutSourcesTheKernelClockIsNotOpened) {
    FakeKernel k;
    ClockSetup s(
        discipline(temp_path("nosrc")), k.fn(), [] { return kNow_ns; }, false);
    EXPECT_FALSE(s.disciplining());
    EXPECT_FALSE(s.clock().adjusts());
    EXPECT_TRUE(k.calls.empty()) << "no adjtimex probe without a source to discipline from";
}

TEST(ClockSetupConfig, DriftFileKeysAreReadAndChecked) {
    std::string path = temp_path("config.toml");
    std::ofstream(path) << "[clock]\ndrift_file = \"/var/lib/x/drift\"\n"
                           "drift_save_interval = 60.0\n";
    auto cfg = config::load_file(path);
    ASSERT_TRUE(cfg.has_value());
    EXPECT_EQ(cfg->clock.drift_file, "/var/lib/x/drift");
    EXPECT_DOUBLE_EQ(cfg->clock.drift_save_interval_s, 60.0);
    EXPECT_EQ(cfg->clock.mode, config::ClockMode::kDiscipline);  // the default

    std::ofstream(path) << "[clock]\ndrift_file = \"\"\ndrift_save_interval = 0.0\n";
    auto bad = config::load_file(path);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().size(), 2u);  // empty path, interval below 1 s
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace ntplite::daemon
