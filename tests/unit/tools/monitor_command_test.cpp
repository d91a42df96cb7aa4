// `monitor`: offsets from the first server, majority agreement and flagging, output, exit status.
#include "tools/ntpq/monitor_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace ntplite::tools {
namespace {

MonitorRow ok(std::string label, int64_t offset_ns, int64_t delay_ns = 100'000) {
    SntpSample s;
    s.offset_ns = offset_ns;
    s.delay_ns = delay_ns;
    s.reply.stratum = 2;
    s.server_address = label;
    return MonitorRow{std::move(label), s, std::nullopt, true};
}

MonitorRow failed(std::string label) {
    return MonitorRow{std::move(label),
                      std::unexpected(SntpFailure{SntpError::kNoAnswer, "no answer", 0}),
                      std::nullopt, true};
}

TEST(Monitor, FlagsTheOneThatDisagreesWithTheMajority) {
    std::vector<MonitorRow> rows = {ok("a", 1'000'000), ok("b", 1'200'000), ok("c", 5'000'000'000)};
    const MonitorVerdict v = evaluate_monitor(rows, 100'000'000);
    EXPECT_EQ(v.answered, 3u);
    EXPECT_EQ(v.majority, 2u);
    EXPECT_TRUE(v.has_majority);
    EXPECT_TRUE(rows[0].agrees);
    EXPECT_TRUE(rows[1].agrees);
    EXPECT_FALSE(rows[2].agrees);
    EXPECT_EQ(*rows[1].offset_from_first_ns, 200'000);
    EXPECT_EQ(*rows[2].offset_from_first_ns, 4'999'000'000);
    EXPECT_EQ(monitor_exit_code(rows), ExitCode::kDisagreement);
    const std::string text = format_monitor(rows, v);
    EXPECT_NE(text.find(" DISAGREES\n"), std::string::npos) << text;
    EXPECT_NE(text.find("3 server(s), 3 answered, 2 agree; check: c (disagrees)"),
              std::string::npos)
        << text;
}

// 80 columns: values in ms under their headers, a long server name on its own line, a long
// error message and summary wrapped; never a line over 79 characters.
TEST(Monitor, GoldenTableFitsIn79Columns) {
    std::vector<MonitorRow> rows = {
        ok("127.0.0.24:14130", 5'000), ok("a-rather-long-host-name.ntp.example.org:123", -7'000),
        ok("127.0.0.26:14132", 2'000'038'000), failed("[2001:db8::1]:123")};
    rows[3].result = std::unexpected(
        SntpFailure{SntpError::kNoAnswer,
                    "no reply within 1 s (the server may be down or the port filtered by "
                    "a firewall between here and there)",
                    0});
    const MonitorVerdict v = evaluate_monitor(rows, 100'000'000);
    const std::string expected =
        "server              offset ms  vs 1st ms delay ms st refid           status\n"
        "127.0.0.24:14130       +0.005     +0.000    0.100  2 0.0.0.0         ok\n"
        "a-rather-long-host-name.ntp.example.org:123\n"
        "                       -0.007     -0.012    0.100  2 0.0.0.0         ok\n"
        "127.0.0.26:14132    +2000.038  +2000.033    0.100  2 0.0.0.0         DISAGREES\n"
        "[2001:db8::1]:123  error: no reply within 1 s (the server may be down or the\n"
        "                          port filtered by a firewall between here and there)\n"
        "4 server(s), 3 answered, 2 agree; check: 127.0.0.26:14132 (disagrees)\n"
        "    [2001:db8::1]:123 (no answer)\n";
    const std::string text = format_monitor(rows, v);
    EXPECT_EQ(text, expected);
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) EXPECT_LE(l.size(), 79u) << l;
}

TEST(Monitor, FirstServerCanBeTheFalseticker) {
    std::vector<MonitorRow> rows = {ok("bad", -3'000'000'000), ok("b", 0), ok("c", 10'000)};
    evaluate_monitor(rows, 100'000'000);
    EXPECT_FALSE(rows[0].agrees);
    EXPECT_TRUE(rows[1].agrees);
    EXPECT_TRUE(rows[2].agrees);
    EXPECT_EQ(*rows[0].offset_from_first_ns, 0);
    EXPECT_EQ(*rows[1].offset_from_first_ns, 3'000'000'000);
}

TEST(Monitor, AllAgreeIsExit0AndNoAnswerIsFlagged) {
    std::vector<MonitorRow> rows = {ok("a", 0), ok("b", 50'000'000)};
    evaluate_monitor(rows, 100'000'000);
    EXPECT_EQ(monitor_exit_code(rows), ExitCode::kOk);
    rows.push_back(failed("c"));
    const MonitorVerdict v = evaluate_monitor(rows, 100'000'000);
    EXPECT_EQ(v.answered, 2u);
    EXPECT_FALSE(rows[2].agrees);
    EXPECT_EQ(monitor_exit_code(rows), ExitCode::kDisagreement);
    auto j = monitor_json(rows, v, 0.1, monitor_exit_code(rows));
    EXPECT_EQ(j["schema"], "ntpq-lite.monitor/1");
    EXPECT_EQ(j["servers"][2]["ok"], false);
    EXPECT_EQ(j["servers"][2]["error"], "no_answer");
    EXPECT_EQ(j["flagged"].size(), 1u);
    EXPECT_EQ(j["exit_code"], 10);
}

TEST(Monitor, DelaysWidenTheAgreement) {
    // 150 ms apart with a 100 ms tolerance, but each offset is uncertain by half its 200 ms delay.
    std::vector<MonitorRow> rows = {ok("a", 0, 200'000'000), ok("b", 150'000'000, 200'000'000)};
    evaluate_monitor(rows, 100'000'000);
    EXPECT_TRUE(rows[0].agrees && rows[1].agrees);
}

TEST(Monitor, NoMajorityFlagsEveryone) {
    std::vector<MonitorRow> rows = {ok("a", 0), ok("b", 2'000'000'000)};
    const MonitorVerdict v = evaluate_monitor(rows, 100'000'000);
    EXPECT_FALSE(v.has_majority);
    EXPECT_FALSE(rows[0].agrees || rows[1].agrees);
    EXPECT_EQ(monitor_exit_code(rows), ExitCode::kDisagreement);
    EXPECT_NE(format_monitor(rows, v).find("no majority agrees"), std::string::npos);
}

TEST(Monitor, BadArgumentIsUsageError) {
    MonitorOptions o;
    o.servers = {"[::1"};
    std::ostringstream out, err;
    EXPECT_EQ(run_monitor(o, out, err), ExitCode::kUsage);
}

}  // namespace
}  // namespace ntplite::tools
