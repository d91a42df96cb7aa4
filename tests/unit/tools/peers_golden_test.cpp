// Golden output of `peers` (and `peers -v`) at 80 columns: every line fits in 79 characters, the
// numbers sit right under their headers, long names get a line of their own, big values lose
// decimals instead of pushing the columns right, and the state/reason block names each source.
// Also `waitsync`'s loop and exit statuses with an injected daemon and clock.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "tests/unit/tools/monitor_fixture.hpp"
#include "tools/ntpq/daemon_commands.hpp"
#include "tools/ntpq/daemon_format.hpp"
#include "tools/ntpq/waitsync_command.hpp"

namespace ntplite::tools {
namespace {

using testing::fixture_snapshot;
using testing::fixture_source;
using testing::kFixtureNow_ns;
using testing::ResponderTransport;

std::string run_peers(const daemon::MonitorSnapshot& m, bool verbose = false) {
    ResponderTransport t(m);
    DaemonOptions o;
    o.timeout_s = 0.01;
    o.verbose = verbose;
    std::ostringstream out, err;
    const ExitCode c = run_daemon_command_on(DaemonCommand::kPeers, t, "127.0.0.20:123", o,
                                             kFixtureNow_ns, out, err);
    EXPECT_EQ(c, m.system.synchronized ? ExitCode::kOk : ExitCode::kUnsynchronized) << err.str();
    return out.str();
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
}

// The last column of each right-aligned header label ("st", "when", ... "jitter").
std::vector<std::size_t> header_ends(const std::string& header) {
    std::vector<std::size_t> ends;
    for (const char* label : {" st ", " when", " poll", " reach", " delay", " offset", " jitter"}) {
        const auto pos = header.find(label);
        EXPECT_NE(pos, std::string::npos) << label;
        std::string l(label);
        while (!l.empty() && l.back() == ' ') l.pop_back();
        ends.push_back(pos + l.size() - 1);
    }
    return ends;
}

TEST(PeersGolden, FixtureTableExactly) {
    const std::string expected =
        "127.0.0.20:123: synchronized to 127.0.0.20:14123 (stratum 11)\n"
        "     remote           refid      st t when poll reach   delay   offset   jitter\n"
        "===============================================================================\n"
        "*127.0.0.20      127.127.1.1     10 u   12   64   377   0.123    0.001    0.008\n"
        "+127.0.0.21      127.127.1.1     10 u   12   64   377   0.123    0.002    0.008\n"
        "x127.0.0.22      127.127.1.1     10 u   12   64   377   0.123 5000.000    0.008\n"
        "\n"
        "     remote      state          reason\n"
        "*127.0.0.20      selected       the system peer\n"
        "+127.0.0.21      candidate      combined into the system offset\n"
        "x127.0.0.22      falseticker    outside the majority's interval\n";
    EXPECT_EQ(run_peers(fixture_snapshot()), expected);
}

// A source without a sample (no reply yet; the daemon sends `sampled=0` in mode 6) shows "-"
// for delay, offset and jitter, under their headers, and null in JSON; never a made-up 0.000.
TEST(PeersGolden, SourceWithoutSampleShowsDashesAndJsonNull) {
    auto m = fixture_snapshot();
    daemon::SourceView quiet = fixture_source(3, "127.0.0.23", clock::SourceState::kNoSample, 0);
    quiet.snap.has_sample = false;
    quiet.snap.delay_ns = quiet.snap.jitter_ns = 0;
    quiet.snap.stratum = 16;
    quiet.snap.refid = 0;
    quiet.snap.reach = 0;
    quiet.snap.last_sample_time_ns = quiet.snap.last_reply_time_ns = 0;
    m.sources.push_back(quiet);
    const std::string expected =
        "127.0.0.20:123: synchronized to 127.0.0.20:14123 (stratum 11)\n"
        "     remote           refid      st t when poll reach   delay   offset   jitter\n"
        "===============================================================================\n"
        "*127.0.0.20      127.127.1.1     10 u   12   64   377   0.123    0.001    0.008\n"
        "+127.0.0.21      127.127.1.1     10 u   12   64   377   0.123    0.002    0.008\n"
        "x127.0.0.22      127.127.1.1     10 u   12   64   377   0.123 5000.000    0.008\n"
        " 127.0.0.23      .INIT.          16 u    -   64     0       -        -        -\n"
        "\n"
        "     remote      state          reason\n"
        "*127.0.0.20      selected       the system peer\n"
        "+127.0.0.21      candidate      combined into the system offset\n"
        "x127.0.0.22      falseticker    outside the majority's interval\n"
        " 127.0.0.23      no-sample      polling, no valid reply yet\n";
    EXPECT_EQ(run_peers(m), expected);

    ResponderTransport t(m);
    DaemonOptions o;
    o.timeout_s = 0.01;
    o.json = true;
    std::ostringstream out, err;
    run_daemon_command_on(DaemonCommand::kPeers, t, "127.0.0.20:123", o, kFixtureNow_ns, out, err);
    const auto j = nlohmann::json::parse(out.str());
    ASSERT_EQ(j["peers"].size(), 4u);
    for (const char* k : {"delay_ms", "offset_ms", "jitter_ms"}) {
        EXPECT_TRUE(j["peers"][3][k].is_null()) << k << ": " << j["peers"][3][k];
        EXPECT_TRUE(j["peers"][0][k].is_number()) << k;
    }
    // A measured offset of exactly 0 is still a value (the flag decides, not the number).
    m.sources[3].snap.has_sample = true;
    const std::string with_sample = run_peers(m);
    EXPECT_NE(with_sample.find(" 127.0.0.23      .INIT.          16 u    -   64     0   0.000    "
                               "0.000    0.000\n"),
              std::string::npos)
        << with_sample;
}

TEST(PeersGolden, EveryLineFitsIn79ColumnsAndNumbersEndUnderTheirHeaders) {
    auto m = fixture_snapshot();
    // Extremes: a huge delay and offset, a long host name, a kissed source.
    m.sources[1].snap.delay_ns = 12'345'678'000;    // 12345.678 ms
    m.sources[1].snap.offset_ns = -98'765'432'000;  // -98765.432 ms
    m.sources[1].snap.jitter_ns = 1'234'567'000;    // 1234.567 ms
    m.sources[2].address = "a-rather-long-host-name.example.org";
    m.sources[2].snap.stratum = 0;
    m.sources[2].snap.refid = proto::refid_from_ascii("RATE");
    for (bool verbose : {false, true}) {
        const auto l = lines(run_peers(m, verbose));
        for (const auto& line : l) EXPECT_LE(line.size(), 79u) << "'" << line << "'";
        std::size_t h = 0;
        while (h < l.size() && l[h].find("     remote           refid") != 0) ++h;
        ASSERT_LT(h, l.size());
        const auto ends = header_ends(l[h]);
        // Rows: the ones after the rule that carry the numeric columns (not the name-only line).
        int rows = 0;
        for (std::size_t i = h + 2; i < l.size() && !l[i].empty(); ++i) {
            if (l[i].size() < 70) continue;  // a long name's own line
            ++rows;
            EXPECT_EQ(l[i].size(), 79u) << l[i];
            for (std::size_t e : ends) {
                EXPECT_NE(l[i][e], ' ') << "column ending at " << e << " in '" << l[i] << "'";
                if (e + 1 < l[i].size()) {
                    EXPECT_EQ(l[i][e + 1], ' ') << e << " in '" << l[i] << "'";
                }
            }
        }
        EXPECT_EQ(rows, 3);
        const std::string all = run_peers(m, verbose);
        EXPECT_NE(all.find("x" + m.sources[2].address + "\n"), std::string::npos) << all;
        EXPECT_NE(all.find(".RATE."), std::string::npos) << all;
        EXPECT_NE(all.find("12345.7"), std::string::npos) << all;  // fewer decimals, still fits
        EXPECT_EQ(verbose, all.find("Tally (first column)") != std::string::npos);
    }
}

TEST(PeersGolden, LegendNamesEveryTallyCodeAndState) {
    const std::string legend(peers_legend());
    for (const char* w : {"* system peer", "+ candidate", "- outlier", "x falseticker", "selected",
                          "too-far", "unreachable", "no-sample", "unresolved", "rate-limited",
                          "denied", "noselect", "time-loop", ".RATE.", "ms"}) {
        EXPECT_NE(legend.find(w), std::string::npos) << w;
    }
}

TEST(PeersGolden, FitMsDropsDecimalsBeforeOverflowing) {
    EXPECT_EQ(fit_ms(0.123, 8), "   0.123");
    EXPECT_EQ(fit_ms(5000.0, 8), "5000.000");
    EXPECT_EQ(fit_ms(-98765.432, 8), "-98765.4");
    EXPECT_EQ(fit_ms(std::nullopt, 7), "      -");
}

// --- waitsync

struct FakeDaemon {
    std::vector<WaitCheck> script;  // one per check; the last one repeats
    std::size_t calls = 0;
    double now = 100.0;
    WaitCheck check() {
        const WaitCheck c = script[std::min(calls, script.size() - 1)];
        ++calls;
        return c;
    }
};

ExitCode wait(FakeDaemon& d, WaitsyncOptions o, std::string* out_text = nullptr) {
    std::ostringstream out, err;
    const ExitCode c = run_waitsync_loop(
        o, [&] { return d.check(); }, [&] { return d.now; }, [&](double s) { d.now += s; }, out,
        err);
    if (out_text) *out_text = out.str();
    return c;
}

WaitCheck state(std::string s, bool done, bool answered = true) {
    WaitCheck c;
    c.answered = answered;
    c.done = done;
    c.state = std::move(s);
    c.line = c.state;
    return c;
}

TEST(Waitsync, ReturnsZeroOnceSynchronized) {
    FakeDaemon d{
        {state("unsynchronized", false), state("holdover", false), state("synchronized", true)}};
    WaitsyncOptions o;
    o.timeout_s = 10;
    EXPECT_EQ(wait(d, o), ExitCode::kOk);
    EXPECT_EQ(d.calls, 3u);
}

TEST(Waitsync, TimesOutWith13AndStopsWithinTheBound) {
    FakeDaemon d{{state("local", false)}};
    WaitsyncOptions o;
    o.timeout_s = 5;
    o.daemon.json = true;
    std::string out;
    EXPECT_EQ(wait(d, o, &out), ExitCode::kWaitTimeout);
    EXPECT_LE(d.now - 100.0, 5.0);
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["exit_code"], 13);
    EXPECT_EQ(j["state"], "local");
    EXPECT_EQ(j["error"]["code"], "timeout");
}

TEST(Waitsync, NeverAnsweredIsDaemonUnreachable) {
    FakeDaemon d{{state("", false, false)}};
    WaitsyncOptions o;
    o.timeout_s = 3;
    EXPECT_EQ(wait(d, o), ExitCode::kDaemonUnreachable);
}

TEST(Waitsync, JudgeRequiresTheOffsetBound) {
    auto m = fixture_snapshot();
    ResponderTransport t(m);
    Mode6Client client(t, std::chrono::milliseconds(10), "127.0.0.20:123");
    auto r = fetch_daemon(client, FetchScope{false, true}, kFixtureNow_ns);
    ASSERT_TRUE(r.has_value());
    WaitsyncOptions o;
    o.max_offset_s = 1e-6;  // 1 us; the fixture's offset is 1.234 us
    EXPECT_FALSE(judge(*r, o).done);
    o.max_offset_s = 1e-5;
    EXPECT_TRUE(judge(*r, o).done);
    o.max_offset_s = -1;
    EXPECT_TRUE(judge(*r, o).done);
}

}  // namespace
}  // namespace ntplite::tools
