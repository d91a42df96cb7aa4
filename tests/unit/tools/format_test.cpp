#include "tools/ntpq/format.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "proto/refid.hpp"

namespace ntplite::tools {
namespace {

// 2026-11-22T11:02:03.123456789Z
constexpr int64_t kT = 1'795'345'323'123'456'789;

SntpSample sample(int64_t offset_ns, int64_t delay_ns) {
    SntpSample s;
    s.reply.mode = proto::Mode::kServer;
    s.reply.stratum = 10;
    s.reply.refid = proto::refid_from_ipv4({127, 127, 1, 1});
    s.reply.precision_log2 = -25;
    s.reply.root_delay = proto::NtpShort{0};
    s.reply.root_dispersion = proto::NtpShort{1 << 16};  // 1 s
    s.offset_ns = offset_ns;
    s.delay_ns = delay_ns;
    s.t1_unix_ns = kT - delay_ns;
    s.t4_unix_ns = kT;
    s.server_address = "127.0.0.1";
    s.server_port = 11123;
    s.kernel_rx_timestamp = true;
    return s;
}

QueryReport report_of(std::vector<SampleOutcome> outcomes, ExitCode code) {
    QueryReport r;
    r.server = HostPort{"127.0.0.1", 11123, false};
    r.count_requested = static_cast<int>(outcomes.size());
    r.interval_s = 0.5;
    r.timeout_s = 1;
    r.samples = std::move(outcomes);
    r.exit_code = code;
    return r;
}

TEST(Summarize, EmptyIsNullopt) {
    EXPECT_FALSE(summarize({}));
}

TEST(Summarize, OddCountMedianIsMiddle) {
    std::vector<int64_t> v{5, -3, 9};
    EXPECT_EQ(*summarize(v), (Stats{-3, 5, 9}));
}

TEST(Summarize, EvenCountMedianIsMeanOfMiddleFloored) {
    std::vector<int64_t> v{4, 1, 2, 10};
    EXPECT_EQ(summarize(v)->median_ns, 3);  // (2+4)/2
    std::vector<int64_t> w{-1, -2};
    EXPECT_EQ(summarize(w)->median_ns, -2);  // floor(-1.5)
    std::vector<int64_t> big{INT64_MAX, INT64_MAX - 2};
    EXPECT_EQ(summarize(big)->median_ns, INT64_MAX - 1);  // no overflow
}

TEST(Summarize, Single) {
    std::vector<int64_t> v{7};
    EXPECT_EQ(*summarize(v), (Stats{7, 7, 7}));
}

TEST(FormatSeconds, SignAndPadding) {
    EXPECT_EQ(format_seconds(12'345, true), "+0.000012345");
    EXPECT_EQ(format_seconds(-1'500'000'000, true), "-1.500000000");
    EXPECT_EQ(format_seconds(0, true), "+0.000000000");
    EXPECT_EQ(format_seconds(45'678, false), "0.000045678");
    EXPECT_EQ(format_seconds(-5, false), "-0.000000005");
    EXPECT_EQ(format_seconds(INT64_MIN, true), "-9223372036.854775808");
}

TEST(FormatTime, UtcAndRfc3339) {
    EXPECT_EQ(format_utc_time(kT), "11:02:03.123");
    EXPECT_EQ(format_rfc3339_ns(kT), "2026-11-22T11:02:03.123456789Z");
    EXPECT_EQ(format_rfc3339_ns(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(FormatShortDuration, Units) {
    EXPECT_EQ(format_short_duration(100'000), "100us");
    EXPECT_EQ(format_short_duration(2'000'000), "2ms");
    EXPECT_EQ(format_short_duration(5'000'000'000), "5s");
    EXPECT_EQ(format_short_duration(7), "7ns");
}

TEST(FormatLeap, AllValues) {
    EXPECT_EQ(format_leap(proto::LeapIndicator::kNone), "0 (no warning)");
    EXPECT_EQ(format_leap(proto::LeapIndicator::kUnsynchronized), "3 (unsynchronized)");
    EXPECT_NE(format_leap(proto::LeapIndicator::kInsertSecond).find("61"), std::string::npos);
    EXPECT_NE(format_leap(proto::LeapIndicator::kDeleteSecond).find("59"), std::string::npos);
}

TEST(FormatRefid, StratumDecidesForm) {
    proto::Packet p;
    p.stratum = 10;
    p.refid = proto::refid_from_ipv4({127, 127, 1, 1});
    EXPECT_EQ(format_refid_text(p), "127.127.1.1");
    p.stratum = 1;
    p.refid = proto::refid_from_ascii("GPS");
    EXPECT_NE(format_refid_text(p).find("GPS"), std::string::npos);
    p.stratum = 0;
    p.refid = proto::refid_from_ascii("RATE");
    EXPECT_NE(format_refid_text(p).find("RATE"), std::string::npos);
}

TEST(Details, HasEveryField) {
    std::string d =
        format_sample_details(sample(12'345, 45'678), HostPort{"127.0.0.1", 11123, false});
    for (const char* want :
         {"server           127.0.0.1:11123\n", "offset           +0.012345 ms",
          "delay            0.045678 ms\n", "stratum          10\n",
          "refid            127.127.1.1\n", "leap indicator   0 (no warning)\n",
          "precision        2^-25 s (29.8 ns)\n", "root delay       0.000000 ms\n",
          "root dispersion  1000.000000 ms\n"}) {
        EXPECT_NE(d.find(want), std::string::npos) << "missing '" << want << "' in\n" << d;
    }
}

TEST(Details, NamedServerShowsAddress) {
    std::string d = format_sample_details(sample(1, 1), HostPort{"localhost", 11123, false});
    EXPECT_NE(d.find("localhost:11123 (127.0.0.1:11123)"), std::string::npos) << d;
}

TEST(Chart, ScaleIsOneTwoFiveAboveTwiceOffset) {
    EXPECT_EQ(choose_chart_scale(std::nullopt).half_range_ns, 100'000);
    EXPECT_EQ(choose_chart_scale(10'000).half_range_ns, 100'000);
    EXPECT_EQ(choose_chart_scale(-60'000).half_range_ns, 200'000);
    EXPECT_EQ(choose_chart_scale(200'000).half_range_ns, 500'000);
    EXPECT_EQ(choose_chart_scale(400'000).half_range_ns, 1'000'000);
    EXPECT_EQ(choose_chart_scale(3'000'000'000).half_range_ns, 10'000'000'000);
    EXPECT_GT(choose_chart_scale(INT64_MIN).half_range_ns, 0);
}

TEST(Chart, StripPositions) {
    ChartScale s{100'000, 41};
    EXPECT_EQ(render_strip(0, s), "|                    *                    |");
    // Off the chart: a rescale is due, and the new scale puts the sample on the chart.
    EXPECT_FALSE(chart_needs_rescale(100'000, s));
    EXPECT_TRUE(chart_needs_rescale(-250'000, s));
    EXPECT_TRUE(chart_needs_rescale(500'000'000, s));
    const ChartScale big = choose_chart_scale(500'000'000);
    EXPECT_FALSE(chart_needs_rescale(500'000'000, big));
    // Same place on the chart, different scale labels: +500 ms and +0.25 ms no longer look alike.
    EXPECT_EQ(render_strip(500'000'000, big), render_strip(250'000, choose_chart_scale(250'000)));
    EXPECT_NE(format_strip_scale(choose_chart_scale(250'000)).find("+500us"), std::string::npos);
    EXPECT_NE(format_strip_scale(big).find("+1s"), std::string::npos) << format_strip_scale(big);
    EXPECT_EQ(render_strip(100'000, s), "|                    :                   *|");
    EXPECT_EQ(render_strip(-100'000, s), "|*                   :                    |");
    EXPECT_EQ(render_strip(50'000, s), "|                    :         *          |");
    EXPECT_EQ(render_strip(100'001'000, s), "|                    :                   >|");
    EXPECT_EQ(render_strip(INT64_MIN, s), "|<                   :                    |");
}

TEST(Chart, LineAndHeaderAlign) {
    ChartScale s{100'000, 41};
    QueryReport r = report_of({}, ExitCode::kOk);
    r.count_requested = 3;
    std::string header = format_stripchart_header(r.server, r, s);
    std::string line = format_stripchart_line(SampleOutcome{kT, sample(0, 45'678)}, s);
    EXPECT_EQ(
        line,
        "11:02:03.123     +0.000000     0.045678  |                    *                    |\n");
    // The '0' label sits above the zero column of the strip.
    auto last_line = header.substr(header.rfind('\n', header.size() - 2) + 1);
    EXPECT_EQ(last_line.find("-100us"), line.find('|'));
    EXPECT_EQ(last_line.find(" 0 ") + 1, line.find('*'));
    EXPECT_NE(header.find("3 samples"), std::string::npos);
}

TEST(Chart, FailureLine) {
    SampleOutcome o{kT, std::unexpected(SntpFailure{SntpError::kNoAnswer, "no answer from x", 0})};
    EXPECT_EQ(format_stripchart_line(o, ChartScale{}), "11:02:03.123  error: no answer from x\n");
}

TEST(Summary, CountsAndStats) {
    QueryReport r =
        report_of({SampleOutcome{kT, sample(10, 400)}, SampleOutcome{kT, sample(-30, 200)},
                   SampleOutcome{kT, std::unexpected(SntpFailure{SntpError::kNoAnswer, "x", 0})},
                   SampleOutcome{kT, sample(20, 300)}},
                  ExitCode::kOk);
    std::string s = format_summary(r);
    EXPECT_NE(s.find("4 requests, 3 valid, 1 failed"), std::string::npos) << s;
    EXPECT_NE(s.find("offset  min -0.000030  median +0.000010  max +0.000020 ms"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("delay   min 0.000200  median 0.000300  max 0.000400 ms"), std::string::npos)
        << s;
    EXPECT_NE(s.find("stratum 10, refid 127.127.1.1"), std::string::npos) << s;
}

TEST(Json, ReportSchemaFields) {
    QueryReport r = report_of({SampleOutcome{kT, sample(12'345, 45'678)}}, ExitCode::kOk);
    auto j = to_json(r);
    EXPECT_EQ(j["schema"], "ntpq-lite.query/1");
    EXPECT_EQ(j["server"]["host"], "127.0.0.1");
    EXPECT_EQ(j["server"]["port"], 11123);
    EXPECT_EQ(j["count"], 1);
    EXPECT_EQ(j["interval_s"], 0.5);
    EXPECT_EQ(j["exit_code"], 0);
    EXPECT_TRUE(j["error"].is_null());
    ASSERT_EQ(j["samples"].size(), 1u);
    const auto& s = j["samples"][0];
    EXPECT_EQ(s["ok"], true);
    EXPECT_EQ(s["time_utc"], "2026-11-22T11:02:03.123456789Z");
    EXPECT_EQ(s["time_unix_ns"], kT);
    EXPECT_EQ(s["address"], "127.0.0.1");
    EXPECT_EQ(s["port"], 11123);
    EXPECT_EQ(s["offset_ns"], 12'345);
    EXPECT_DOUBLE_EQ(s["offset_s"].get<double>(), 12'345e-9);
    EXPECT_EQ(s["delay_ns"], 45'678);
    EXPECT_EQ(s["stratum"], 10);
    EXPECT_EQ(s["refid"], "127.127.1.1");
    EXPECT_EQ(s["refid_raw"], 0x7f7f0101u);
    EXPECT_EQ(s["leap"], 0);
    EXPECT_EQ(s["version"], 4);
    EXPECT_EQ(s["precision_log2"], -25);
    EXPECT_DOUBLE_EQ(s["precision_s"].get<double>(), 1.0 / (1 << 25));
    EXPECT_EQ(s["root_delay_ns"], 0);
    EXPECT_EQ(s["root_dispersion_ns"], 1'000'000'000);
    EXPECT_DOUBLE_EQ(s["root_dispersion_s"].get<double>(), 1.0);
    EXPECT_EQ(s["kernel_rx_timestamp"], true);
    for (const char* k : {"poll_log2", "t1_unix_ns", "t4_unix_ns", "delay_s", "root_delay_s"}) {
        EXPECT_TRUE(s.contains(k)) << k;
    }
    EXPECT_EQ(j["summary"]["requests"], 1);
    EXPECT_EQ(j["summary"]["valid"], 1);
    EXPECT_EQ(j["summary"]["failed"], 0);
    EXPECT_EQ(j["summary"]["offset_ns"]["median"], 12'345);
    EXPECT_EQ(j["summary"]["delay_ns"]["max"], 45'678);
    EXPECT_DOUBLE_EQ(j["summary"]["delay_s"]["min"].get<double>(), 45'678e-9);
}

TEST(Json, KissOfDeathSample) {
    SntpFailure f{SntpError::kKissOfDeath, "server sent Kiss-o'-Death RATE",
                  proto::refid_from_ascii("RATE")};
    QueryReport r = report_of({SampleOutcome{kT, std::unexpected(f)}}, ExitCode::kKissOfDeath);
    auto j = to_json(r);
    const auto& s = j["samples"][0];
    EXPECT_EQ(s["ok"], false);
    EXPECT_EQ(s["error"], "kiss_of_death");
    EXPECT_EQ(s["exit_code"], 5);
    EXPECT_EQ(s["kiss_code"], "RATE");
    EXPECT_NE(s["kiss_description"].get<std::string>().find("RATE ("), std::string::npos);
    EXPECT_FALSE(s.contains("offset_ns"));
    EXPECT_EQ(j["exit_code"], 5);
    EXPECT_EQ(j["error"]["code"], "kiss_of_death");
    EXPECT_TRUE(j["summary"]["offset_ns"].is_null());
}

TEST(Json, FatalResolveFailure) {
    QueryReport r = report_of({}, ExitCode::kResolveFailed);
    r.fatal = SntpFailure{SntpError::kResolveFailed, "cannot resolve 'x.invalid'", 0};
    auto j = to_json(r);
    EXPECT_EQ(j["exit_code"], 3);
    EXPECT_EQ(j["error"]["code"], "resolve_failed");
    EXPECT_EQ(j["error"]["message"], "cannot resolve 'x.invalid'");
    EXPECT_TRUE(j["samples"].empty());
}

}  // namespace
}  // namespace ntplite::tools
