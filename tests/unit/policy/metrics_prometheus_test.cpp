// Prometheus text exposition: every line is HELP/TYPE/sample in the 0.0.4 format, names follow
// the conventions, and the values are those of the snapshot.
#include "daemon/policy/monitor/metrics_prometheus.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "ntplite/version.hpp"
#include "tests/unit/tools/monitor_fixture.hpp"

namespace ntplite::daemon {
namespace {

std::map<std::string, double> samples(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l.starts_with("#")) continue;
        const auto sp = l.rfind(' ');
        out[l.substr(0, sp)] = std::stod(l.substr(sp + 1));
    }
    return out;
}

TEST(MetricsPrometheus, EveryLineIsWellFormed) {
    auto m = testing::fixture_snapshot();
    m.sources[1].snap.last_kiss = proto::KissCode::kRate;
    m.sources[1].snap.name = "we\"ird\\name\n";
    const std::string text = metrics_text(m);
    const std::regex help(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+)");
    const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter))");
    const std::regex sample(
        R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*")*\})? (-?[0-9.]+(e[-+]?[0-9]+)?|NaN|[+-]Inf))");
    std::istringstream in(text);
    std::map<std::string, std::string> types;
    std::set<std::string> seen_families;
    int n = 0;
    for (std::string l; std::getline(in, l); ++n) {
        std::smatch mt;
        if (std::regex_match(l, mt, type)) {
            EXPECT_TRUE(seen_families.insert(mt[1]).second) << "family declared twice: " << l;
            types[mt[1]] = mt[2];
            const bool total = std::string(mt[1]).ends_with("_total");
            EXPECT_EQ(mt[2] == "counter", total)
                << "counters and only counters end in _total: " << l;
            continue;
        }
        if (std::regex_match(l, help)) continue;
        ASSERT_TRUE(std::regex_match(l, mt, sample)) << "bad line " << n << ": " << l;
        EXPECT_TRUE(types.contains(mt[1])) << "sample before its TYPE: " << l;
        EXPECT_TRUE(std::string(mt[1]).starts_with("ntpd_lite_")) << l;
    }
    EXPECT_GT(n, 40);
}

TEST(MetricsPrometheus, ValuesComeFromTheSnapshot) {
    auto m = testing::fixture_snapshot();
    m.server.answered = 17;
    m.server.dropped_denied = 3;
    m.control.denied = 5;
    m.sources[2].snap.last_kiss = proto::KissCode::kRate;
    m.sources[2].snap.last_kiss_time_ns = 1'700'000'000'000'000'000;
    const auto s = samples(metrics_text(m));
    EXPECT_EQ(s.at("ntpd_lite_synchronized"), 1);
    EXPECT_EQ(s.at("ntpd_lite_system_stratum"), 11);
    EXPECT_DOUBLE_EQ(s.at("ntpd_lite_system_offset_seconds"), 1.234e-6);
    EXPECT_DOUBLE_EQ(s.at("ntpd_lite_system_frequency_ppm"), -12.5);
    EXPECT_EQ(s.at("ntpd_lite_system_leap_indicator"), 0);
    EXPECT_EQ(s.at("ntpd_lite_selected_source{source=\"127.0.0.20:14123\"}"), 1);
    EXPECT_EQ(s.at("ntpd_lite_source_reach{source=\"127.0.0.21:14123\"}"), 255);
    EXPECT_DOUBLE_EQ(s.at("ntpd_lite_source_offset_seconds{source=\"127.0.0.22:14123\"}"), 5.0);
    EXPECT_EQ(s.at("ntpd_lite_source_poll_interval_seconds{source=\"127.0.0.22:14123\"}"), 64);
    EXPECT_EQ(s.at("ntpd_lite_source_state{source=\"127.0.0.22:14123\",state=\"falseticker\"}"), 1);
    EXPECT_EQ(s.at("ntpd_lite_source_last_kod{source=\"127.0.0.22:14123\",code=\"RATE\"}"), 1);
    EXPECT_EQ(s.at("ntpd_lite_source_last_kod_timestamp_seconds{source=\"127.0.0.22:14123\"}"),
              1.7e9);
    EXPECT_EQ(s.at("ntpd_lite_server_requests_total{outcome=\"served\"}"), 17);
    EXPECT_EQ(s.at("ntpd_lite_server_requests_total{outcome=\"denied\"}"), 3);
    EXPECT_EQ(s.at("ntpd_lite_control_requests_total{outcome=\"denied\"}"), 5);
}

TEST(MetricsPrometheus, UnsynchronizedHasNoSelectedSource) {
    const auto s = samples(metrics_text(testing::fixture_snapshot(false)));
    EXPECT_EQ(s.at("ntpd_lite_synchronized"), 0);
    EXPECT_EQ(s.at("ntpd_lite_system_leap_indicator"), 3);
    EXPECT_EQ(s.at("ntpd_lite_selected_source{source=\"\"}"), 0);
}

TEST(MetricsPrometheus, LabelEscaping) {
    EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace ntplite::daemon

namespace ntplite::daemon {
namespace {

// build_info carries the CMake project version (ntplite/version.hpp), value 1.
TEST(MetricsPrometheus, BuildInfoCarriesTheVersion) {
    const auto s = samples(metrics_text(testing::fixture_snapshot()));
    EXPECT_EQ(s.at("ntpd_lite_build_info{version=\"" + std::string(kVersion) + "\"}"), 1);
}

// A source without a sample has no offset/delay/jitter/root-distance series (absent, not 0);
// its reach and state are still there.
TEST(MetricsPrometheus, NoSampleMeansNoFilterSeries) {
    auto m = testing::fixture_snapshot();
    m.sources[1].snap.has_sample = false;
    const auto s = samples(metrics_text(m));
    const std::string quiet = "{source=\"" + m.sources[1].snap.name + "\"}";
    const std::string other = "{source=\"" + m.sources[0].snap.name + "\"}";
    for (const char* f :
         {"ntpd_lite_source_offset_seconds", "ntpd_lite_source_delay_seconds",
          "ntpd_lite_source_jitter_seconds", "ntpd_lite_source_root_distance_seconds"}) {
        EXPECT_FALSE(s.contains(f + quiet)) << f;
        EXPECT_TRUE(s.contains(f + other)) << f;
    }
    EXPECT_TRUE(s.contains("ntpd_lite_source_reach" + quiet));
}

}  // namespace
}  // namespace ntplite::daemon
