// Drift file: parsing every kind of bad content, atomic save and load in a temp dir, and the
// periodic save schedule.
#include "clock/os/drift_file.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

namespace ntplite::clock {
namespace {

namespace fs = std::filesystem;

TEST(DriftParse, AcceptsOneNumberPerLine) {
    EXPECT_EQ(parse_drift("12.5\n"), 12.5);
    EXPECT_EQ(parse_drift("-499.999999\n"), -499.999999);
    EXPECT_EQ(parse_drift(" 3.25 \r\n"), 3.25);
    EXPECT_EQ(parse_drift("500\n"), 500.0);
    EXPECT_EQ(parse_drift("0\n"), 0.0);
}

TEST(DriftParse, RejectsBadContentWithTheRightReason) {
    EXPECT_EQ(parse_drift("").error(), DriftError::kEmpty);
    EXPECT_EQ(parse_drift("12.5").error(), DriftError::kTruncated);
    EXPECT_EQ(parse_drift("-1").error(), DriftError::kTruncated);
    EXPECT_EQ(parse_drift("\n").error(), DriftError::kCorrupt);
    EXPECT_EQ(parse_drift("abc\n").error(), DriftError::kCorrupt);
    EXPECT_EQ(parse_drift("12.5abc\n").error(), DriftError::kCorrupt);
    EXPECT_EQ(parse_drift("12.5\n7\n").error(), DriftError::kCorrupt);
    EXPECT_EQ(parse_drift("1 2\n").error(), DriftError::kCorrupt);
    EXPECT_EQ(parse_drift(std::string("\0\xff\n", 3)).error(), DriftError::kCorrupt);
    EXPECT_EQ(parse_drift(std::string(100, '1') + "\n").error(), DriftError::kCorrupt);
    EXPECT_EQ(parse_drift("nan\n").error(), DriftError::kNotFinite);
    EXPECT_EQ(parse_drift("inf\n").error(), DriftError::kNotFinite);
    EXPECT_EQ(parse_drift("-inf\n").error(), DriftError::kNotFinite);
    EXPECT_EQ(parse_drift("500.000001\n").error(), DriftError::kAbsurd);
    EXPECT_EQ(parse_drift("-12345\n").error(), DriftError::kAbsurd);
    EXPECT_EQ(parse_drift("1e999\n").error(), DriftError::kAbsurd);
    EXPECT_STRNE(to_string(DriftError::kAbsurd), "?");
}

TEST(DriftParse, FormatRoundTrips) {
    for (double ppm : {0.0, 1e-6, -12.345678, 499.999999, -500.0, 17.0}) {
        std::string text = format_drift(ppm);
        ASSERT_EQ(text.back(), '\n');
        auto parsed = parse_drift(text);
        ASSERT_TRUE(parsed.has_value()) << text;
        EXPECT_NEAR(*parsed, ppm, 5e-7) << text;
    }
}

class DriftFile : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/ntplite-drift-test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        path = (dir / "ntpd-lite.drift").string();
    }
    void TearDown() override { fs::remove_all(dir); }
    void write_raw(const std::string& content) {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    }

    fs::path dir;
    std::string path;
};

TEST_F(DriftFile, MissingIsReportedAsMissing) {
    EXPECT_EQ(load_drift_file(path).error(), DriftError::kMissing);
}

TEST_F(DriftFile, SaveThenLoadSurvivesARestart) {
    ASSERT_TRUE(save_drift_file(path, -23.456789).has_value());
    auto loaded = load_drift_file(path);
    ASSERT_TRUE(loaded.has_value());
    EXPECT_NEAR(*loaded, -23.456789, 1e-9);

    ASSERT_TRUE(save_drift_file(path, 4.5).has_value());  // replace
    EXPECT_EQ(load_drift_file(path), 4.5);
    EXPECT_FALSE(fs::exists(path + ".tmp"));  // no temp file left behind
    size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
    EXPECT_EQ(entries, 1u);
}

TEST_F(DriftFile, BadFilesAreIgnoredWithAReason) {
    write_raw("12.3");
    EXPECT_EQ(load_drift_file(path).error(), DriftError::kTruncated);
    write_raw("");
    EXPECT_EQ(load_drift_file(path).error(), DriftError::kEmpty);
    write_raw("garbage\n");
    EXPECT_EQ(load_drift_file(path).error(), DriftError::kCorrupt);
    write_raw("800.0\n");
    EXPECT_EQ(load_drift_file(path).error(), DriftError::kAbsurd);
    write_raw("nan\n");
    EXPECT_EQ(load_drift_file(path).error(), DriftError::kNotFinite);
    write_raw(std::string(1 << 20, '7'));  // a megabyte: rejected without reading it all
    EXPECT_EQ(load_drift_file(path).error(), DriftError::kCorrupt);
}

TEST_F(DriftFile, ADirectoryIsUnreadable) {
    fs::create_directory(path);
    EXPECT_EQ(load_drift_file(path).error(), DriftError::kUnreadable);
}

TEST_F(DriftFile, SaveRefusesBadValuesAndKeepsTheOldFile) {
    ASSERT_TRUE(save_drift_file(path, 1.25).has_value());
    auto r = save_drift_file(path, std::nan(""));
    ASSERT_FALSE(r.has_value());
    EXPECT_STREQ(r.error().step, "value");
    EXPECT_FALSE(save_drift_file(path, 600.0).has_value());
    EXPECT_EQ(load_drift_file(path), 1.25);
}

TEST_F(DriftFile, SaveIntoAMissingDirectoryFailsCleanly) {
    auto r = save_drift_file((dir / "no" / "such" / "drift").string(), 1.0);
    ASSERT_FALSE(r.has_value());
    EXPECT_STREQ(r.error().step, "open");
    EXPECT_EQ(r.error().errno_value, ENOENT);
}

TEST(DriftSchedule, SavesWhenDueAndChanged) {
    constexpr int64_t kHour = 3'600'000'000'000;
    DriftSaveSchedule s(kHour, 0.01);
    EXPECT_TRUE(s.due(0, 1.0));  // nothing saved yet
    EXPECT_FALSE(s.due(0, std::nan("")));
    s.saved(0, 1.0);
    EXPECT_FALSE(s.due(kHour - 1, 5.0));  // too soon
    EXPECT_FALSE(s.due(kHour, 1.001));    // not changed enough
    EXPECT_TRUE(s.due(kHour, 1.02));
    s.saved(kHour, 1.02);
    EXPECT_FALSE(s.due(kHour + 1, 3.0));
}

}  // namespace
}  // namespace ntplite::clock
