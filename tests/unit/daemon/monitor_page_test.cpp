// The status page's pure parts: the bounded history, the chart renderer (rescaling, paths), the
// page (state, one row per source, escaping, nothing external), the client tables (counts,
// eviction, a consistent copy while the writer runs) and the HTTP routes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "daemon/policy/monitor/control_json.hpp"
#include "daemon/policy/monitor/history.hpp"
#include "daemon/policy/monitor/status_page.hpp"
#include "daemon/policy/monitor/status_text.hpp"
#include "daemon/policy/server/client_table.hpp"
#include "tests/unit/tools/monitor_fixture.hpp"

namespace ntplite::daemon {
namespace {

constexpr int64_t kS = 1'000'000'000;

TEST(History, KeepsEverythingUntilFullThenHalvesAndStaysBounded) {
    History h(8, 24 * 3600 * kS);
    for (int i = 0; i < 8; ++i) h.add({i * kS, i * 1000, 10, 0.5, 1});
    EXPECT_EQ(h.size(), 8u);
    EXPECT_EQ(h.min_spacing_ns(), 0);
    for (int i = 8; i < 10'000; ++i) h.add({i * kS, i * 1000, 10, 0.5, 1});
    EXPECT_LE(h.size(), 8u);
    EXPECT_GE(h.size(), 4u);
    const auto p = h.points(10'000 * kS);
    ASSERT_FALSE(p.empty());
    // Still spans (nearly) the whole run, oldest first, and every update is accounted for.
    EXPECT_LT(p.front().time_ns, 2'000 * kS);
    EXPECT_EQ(p.back().time_ns, 9'999 * kS);
    uint64_t merged = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        merged += p[i].merged;
        if (i > 0) {
            EXPECT_LT(p[i - 1].time_ns, p[i].time_ns);
        }
    }
    EXPECT_EQ(merged, 10'000u);
}

TEST(History, DropsPointsOlderThanTheWindow) {
    History h(64, 100 * kS);
    h.add({0, 1, 1, 0, 1});
    h.add({50 * kS, 2, 1, 0, 1});
    h.add({160 * kS, 3, 1, 0, 1});
    const auto p = h.points(160 * kS);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].offset_ns, 3);
    h.add({150 * kS, 9, 9, 0, 1});  // older than the newest: ignored
    EXPECT_EQ(h.points(160 * kS).size(), 1u);
}

TEST(StatusPage, ChartRescalesToItsOwnSamples) {
    const std::vector<int64_t> t = {0, 10 * kS, 20 * kS};
    // +0.25 ms and +500 ms peaks must both reach the top of their charts.
    for (double peak : {250'000.0, 500'000'000.0}) {
        const std::vector<double> v = {0.0, peak, peak / 2};
        const std::string svg = render_chart({"chart-offset", "Offset", true, true}, t, v, 20 * kS);
        EXPECT_NE(svg.find("<path class=\"series\" d=\"M70.0 "), std::string::npos) << svg;
        // The peak is drawn near the top (y = kTop + 5 % padding), not squashed.
        EXPECT_NE(svg.find(" L350.0 27.7 "), std::string::npos) << svg;
        EXPECT_NE(svg.find(peak < 1e6 ? "\u00b5s" : " ms"), std::string::npos) << svg;
    }
    const std::string empty = render_chart({"chart-jitter", "Jitter", true, false}, {}, {}, 0);
    EXPECT_EQ(empty.find("<path"), std::string::npos);
}

TEST(StatusPage, StateRowsChartsAndNothingExternal) {
    auto m = testing::fixture_snapshot();
    m.sources[1].snap.name = "<b>evil</b>";
    std::vector<HistoryPoint> h = {{testing::kFixtureNow_ns - 60 * kS, 1000, 200, 1.5, 1},
                                   {testing::kFixtureNow_ns - 30 * kS, -2000, 300, 1.6, 1}};
    const std::string page = render_status_page(m, h);
    EXPECT_NE(page.find("<p id=\"state\" class=\"state synchronized\">synchronized to "
                        "127.0.0.20:14123 (stratum 11)</p>"),
              std::string::npos);
    std::size_t rows = 0;
    for (auto pos = page.find("<tr class=\"source "); pos != std::string::npos;
         pos = page.find("<tr class=\"source ", pos + 1))
        ++rows;
    EXPECT_EQ(rows, 3u);
    EXPECT_NE(page.find("&lt;b&gt;evil&lt;/b&gt;"), std::string::npos);
    EXPECT_EQ(page.find("<b>evil"), std::string::npos);
    EXPECT_NE(page.find("outside the majority"), std::string::npos);
    for (const char* id : {"chart-offset", "chart-jitter", "chart-frequency"}) {
        EXPECT_NE(page.find(std::string("<svg id=\"") + id), std::string::npos) << id;
    }
    EXPECT_EQ(page.find("<script"), std::string::npos);
    EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org/2000/svg"));  // SVG namespace only
    EXPECT_EQ(page.find("https://"), std::string::npos);
}

TEST(StatusText, OneSentencePerState) {
    auto m = testing::fixture_snapshot(false);
    EXPECT_EQ(system_state_word(m), "unsynchronized");
    EXPECT_EQ(system_state_text(m), "unsynchronized because no source is usable");
    m.system.status.state = clock::SyncState::kLocal;
    m.system.status.reason = clock::UnsyncReason::kAllUnreachable;
    m.system.state.stratum = 10;
    m.system.state.refid = clock::kLocalFallbackRefid;
    EXPECT_EQ(system_state_word(m), "local");
    EXPECT_EQ(system_state_text(m), "local fallback at stratum 10 (no source is reachable)");
    m.system.status.state = clock::SyncState::kHoldover;
    m.system.status.since_ns = 1'795'345'000'000'000'000;  // 2026-11-22T10:56:40Z
    m.system.status.holdover_left_ns = 3540 * kS + 400'000'000;
    EXPECT_EQ(system_state_text(m),
              "holdover since 2026-11-22T10:56:40Z, 3540 s left (no source is reachable)");
    m.system.status.holdover_left_ns = -1;
    EXPECT_NE(system_state_text(m).find("until the root distance is too large"), std::string::npos);
    // Sources: unresolved names and kisses have their own words and reasons.
    SourceView v = m.sources[0];
    v.unresolved_error = "Name or service not known";
    EXPECT_EQ(source_state_word(v), "unresolved");
    EXPECT_EQ(source_reason_text(v), "name does not resolve: Name or service not known");
    v.unresolved_error.clear();
    v.snap.state = clock::SourceState::kRateLimited;
    v.snap.poll_log2 = 6;
    EXPECT_EQ(source_reason_text(v), "kissed RATE: polled every 64 s, no fresh sample");
    v.snap.state = clock::SourceState::kDenied;
    v.snap.kiss = proto::KissCode::kDeny;
    EXPECT_EQ(source_reason_text(v), "kissed DENY: no longer polled");
}

TEST(ClientTable, CountsPerClientAndSortsBusiestFirst) {
    ClientTable t(16);
    const auto a = config::parse_ip("127.0.0.31").value();
    const auto b = config::parse_ip("127.0.0.32").value();
    for (int i = 0; i < 5; ++i) t.record(a, i * kS, ClientOutcome::kAnswered);
    t.record(a, 6 * kS, ClientOutcome::kKod);
    t.record(a, 7 * kS, ClientOutcome::kDropped);
    t.record(b, 8 * kS, ClientOutcome::kAnswered);
    std::vector<ClientRecord> all;
    t.copy_to(all);
    // A second worker saw `b` too: merged into one row.
    ClientTable t2(16);
    t2.record(b, 9 * kS, ClientOutcome::kDropped);
    t2.copy_to(all);
    const auto merged = merge_clients(all, 10);
    ASSERT_EQ(merged.size(), 2u);
    EXPECT_EQ(merged[0].address, a);
    EXPECT_EQ(merged[0].requests, 7u);
    EXPECT_EQ(merged[0].kod, 1u);
    EXPECT_EQ(merged[0].dropped, 1u);
    EXPECT_EQ(merged[0].last_seen_mono_ns, 7 * kS);
    EXPECT_EQ(merged[1].requests, 2u);
    EXPECT_EQ(merged[1].last_seen_mono_ns, 9 * kS);
    const auto j = clients_json(merged, 10 * kS, 32, 0);
    EXPECT_EQ(j["clients"][0]["address"], "127.0.0.31");
    EXPECT_EQ(j["clients"][0]["answered"], 5);
    EXPECT_EQ(j["clients"][0]["last_seen_ago_ns"], 3 * kS);
    EXPECT_EQ(merge_clients(all, 1).size(), 1u);
}

TEST(ClientTable, FixedSizeEvictsTheLeastRecentlySeen) {
    ClientTable t(4);  // one set of 4 ways
    for (uint8_t i = 1; i <= 10; ++i) {
        t.record(config::IpAddress::from_v4({10, 0, 0, i}), i * kS, ClientOutcome::kAnswered);
    }
    std::vector<ClientRecord> all;
    t.copy_to(all);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(t.evictions(), 6u);
    for (const auto& r : all) EXPECT_GE(r.address.bytes[15], 7);  // the 4 most recent
}

TEST(ClientTable, ReaderSeesConsistentRecordsWhileTheWriterRuns) {
    ClientTable t(64);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        int64_t n = 0;
        while (!stop.load()) {
            ++n;
            t.record(config::IpAddress::from_v4({10, 0, 0, static_cast<uint8_t>(n % 8)}), n,
                     n % 2 ? ClientOutcome::kDropped : ClientOutcome::kAnswered);
        }
    });
    for (int i = 0; i < 2000; ++i) {
        std::vector<ClientRecord> all;
        t.copy_to(all);
        for (const auto& r : all) {
            // Each slot's fields were copied together: never more drops than requests, and
            // the last request no earlier than the first.
            ASSERT_LE(r.dropped + r.kod, r.requests);
            ASSERT_LE(r.first_seen_mono_ns, r.last_seen_mono_ns);
            ASSERT_EQ(r.address.bytes[14], 0);
        }
    }
    stop = true;
    writer.join();
}

}  // namespace
}  // namespace ntplite::daemon
