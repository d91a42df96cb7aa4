// NTS monitoring in the three renderings of one snapshot: per-source NTS-KE exchanges and
// failures by kind, cookies left, and the NTS-KE server's counters (failures by kind, master key)
// appear in the JSON snapshot, the Prometheus text and the mode 6 variables with the same values;
// without an NTS server its families and fields are absent (null), not zeros.
#include <gtest/gtest.h>

#include <string>

#include "daemon/policy/monitor/control_json.hpp"
#include "daemon/policy/monitor/control_mode6.hpp"
#include "daemon/policy/monitor/metrics_prometheus.hpp"
#include "tests/unit/tools/monitor_fixture.hpp"

namespace ntplite::daemon {
namespace {

namespace pn = proto::nts;

MonitorSnapshot nts_snapshot() {
    auto m = testing::fixture_snapshot();
    auth::AuthStatus& a = m.sources[0].snap.auth;
    a.kind = auth::AuthKind::kNts;
    a.nts.cookies = 7;
    a.nts.ke_state = "done";
    a.nts.ke_exchanges = 3;
    a.nts.ke_failures[std::size_t(pn::KeFailure::kCertificate)] = 2;
    a.nts.ke_failures[std::size_t(pn::KeFailure::kConnect)] = 1;
    NtsKeServerTotals t;
    t.accepted = 9;
    t.handshakes = 6;
    t.sessions = 4;
    t.cookies_issued = 32;
    t.failures[std::size_t(pn::KeServerFailure::kTlsHandshake)] = 2;
    t.failures[std::size_t(pn::KeServerFailure::kAlpn)] = 1;
    t.key_rotations = 1;
    t.key_id = 0xabcd0123;
    t.key_created_unix_s = testing::kFixtureNow_ns / 1'000'000'000 - 600;
    m.nts_server = t;
    m.server.auth_replies = 11;
    m.server.auth_bad_mac = 2;
    m.server.auth_nts_nak = 1;
    return m;
}

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(NtsMonitor, JsonCarriesClientAndServerCounts) {
    const auto j = snapshot_json(nts_snapshot());
    const auto& nts = j["sources"][0]["auth"]["nts"];
    EXPECT_EQ(nts["cookies"], 7);
    EXPECT_EQ(nts["ke_exchanges"], 3);
    EXPECT_EQ(nts["ke_failures"]["certificate"], 2);
    EXPECT_EQ(nts["ke_failures"]["connect"], 1);
    EXPECT_EQ(nts["ke_failures"]["nak"], 0);
    EXPECT_EQ(nts["ke_failures"].size(), pn::kKeFailureKinds);
    const auto& ke = j["nts_ke_server"];
    EXPECT_EQ(ke["handshakes"], 6);
    EXPECT_EQ(ke["sessions"], 4);
    EXPECT_EQ(ke["cookies_issued"], 32);
    EXPECT_EQ(ke["failures_total"], 3);
    EXPECT_EQ(ke["failures"]["tls_handshake"], 2);
    EXPECT_EQ(ke["failures"]["alpn"], 1);
    EXPECT_EQ(ke["failures"]["cap_reached"], 0);
    EXPECT_EQ(ke["failures"].size(), pn::kKeServerFailureKinds);
    EXPECT_EQ(ke["key_id"], "abcd0123");
    EXPECT_EQ(ke["key_age_s"], 600);
    EXPECT_EQ(ke["key_rotations"], 1);
    EXPECT_TRUE(snapshot_json(testing::fixture_snapshot())["nts_ke_server"].is_null());
}

TEST(NtsMonitor, PrometheusFamiliesAndValues) {
    const std::string text = metrics_text(nts_snapshot());
    EXPECT_TRUE(has_line(text, "ntpd_lite_source_nts_cookies{source=\"127.0.0.20:14123\"} 7"));
    EXPECT_TRUE(
        has_line(text, "ntpd_lite_source_nts_ke_exchanges_total{source=\"127.0.0.20:14123\"} 3"));
    EXPECT_TRUE(has_line(text,
                         "ntpd_lite_source_nts_ke_failures_total{source=\"127.0.0.20:14123\",kind="
                         "\"certificate\"} 2"));
    EXPECT_TRUE(has_line(
        text,
        "ntpd_lite_source_nts_ke_failures_total{source=\"127.0.0.20:14123\",kind=\"timeout\"} 0"));
    // Plain sources have no NTS series.
    EXPECT_EQ(text.find("ntpd_lite_source_nts_cookies{source=\"127.0.0.21:14123\"}"),
              std::string::npos);
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_ke_handshakes_total 6"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_ke_sessions_total 4"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_ke_cookies_issued_total 32"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_ke_connections_total{outcome=\"accepted\"} 9"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_ke_failures_total{kind=\"tls_handshake\"} 2"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_ke_failures_total{kind=\"alpn\"} 1"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_ke_failures_total{kind=\"cap_reached\"} 0"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_key_info{key_id=\"abcd0123\"} 1"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_key_age_seconds 600"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_nts_key_rotations_total 1"));
    EXPECT_TRUE(has_line(text, "ntpd_lite_server_nts_naks_total 1"));
    EXPECT_TRUE(has_line(text, "# TYPE ntpd_lite_nts_ke_failures_total counter"));
    // Without an NTS server: no NTS-KE families at all.
    const std::string plain = metrics_text(testing::fixture_snapshot());
    EXPECT_EQ(plain.find("ntpd_lite_nts_ke_"), std::string::npos);
    EXPECT_EQ(plain.find("ntpd_lite_nts_key_"), std::string::npos);
}

TEST(NtsMonitor, Mode6Variables) {
    const auto m = nts_snapshot();
    bool unknown = false;
    const std::string sys = system_variables(m, "", &unknown);
    EXPECT_FALSE(unknown);
    for (const char* want :
         {"authreplies=11", "authdrops=\"bad_mac:2\"", "ntsnaks=1", "ntske=1", "ntske_hs=6",
          "ntske_sess=4", "ntske_cookies=32", "ntske_fail=\"tls_handshake:2 alpn:1\"",
          "ntske_keyid=0xabcd0123", "ntske_keyage=600"})
        EXPECT_NE(sys.find(want), std::string::npos) << want << " in " << sys;
    const std::string peer = peer_variables(m, m.sources[0], "", &unknown);
    for (const char* want :
         {"ntscookies=7", "ntske_ok=3", "ntske_fail=\"connect:1 certificate:2\""})
        EXPECT_NE(peer.find(want), std::string::npos) << want << " in " << peer;
    // A plain source has none: ntpsec's ntpq would show a cookie count as its type.
    const std::string plain_peer = peer_variables(m, m.sources[1], "", &unknown);
    EXPECT_EQ(plain_peer.find("ntscookies"), std::string::npos) << plain_peer;
    const std::string off = system_variables(testing::fixture_snapshot(), "", &unknown);
    EXPECT_NE(off.find("ntske=0"), std::string::npos);
    EXPECT_NE(off.find("authdrops=\"none\""), std::string::npos);
    EXPECT_EQ(off.find("ntske_hs"), std::string::npos);  // no NTS-KE server, no counters
    // With the NTS server on, the system variables still fit in two mode 6 fragments.
    EXPECT_LE(sys.size(), 2 * proto::kControlMaxData) << sys.size();
}

}  // namespace
}  // namespace ntplite::daemon
