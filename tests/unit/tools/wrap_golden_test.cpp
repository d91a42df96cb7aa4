// Human output at 80 columns: `status` rows, the `query` detail block and the `clients` table
// keep every line within 79 characters when host names, refids or reasons are long (values wrap
// under themselves, a word longer than a line is cut, a long address gets a line of its own).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "tests/unit/tools/monitor_fixture.hpp"
#include "tools/ntpq/control_client.hpp"
#include "tools/ntpq/daemon_commands.hpp"
#include "tools/ntpq/format.hpp"
#include "tools/ntpq/text_wrap.hpp"

namespace ntplite::tools {
namespace {

using testing::fixture_snapshot;
using testing::kFixtureNow_ns;
using testing::ResponderTransport;

std::string run_status(const daemon::MonitorSnapshot& m) {
    ResponderTransport t(m);
    DaemonOptions o;
    o.timeout_s = 0.01;
    std::ostringstream out, err;
    run_daemon_command_on(DaemonCommand::kStatus, t, "127.0.0.20:123", o, kFixtureNow_ns, out, err);
    return out.str();
}

void expect_fits(const std::string& text) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) EXPECT_LE(l.size(), kTextWidth) << "'" << l << "'";
}

TEST(WrapText, WrapsAtSpacesAndCutsWordsLongerThanALine) {
    EXPECT_EQ(wrap_text("aa bb cc", 5, "  "), "aa bb\n  cc\n");
    EXPECT_EQ(wrap_text("abcdefghij", 4, "  "), "abcd\n  ef\n  gh\n  ij\n");
    EXPECT_EQ(wrap_text("xx abcdefgh", 6, "", 2), "xx\nabcdef\ngh\n");
    EXPECT_EQ(wrap_text("", 10, "  "), "\n");
    EXPECT_EQ(wrap_text("a  b", 10, ""), "a b\n");                // runs of spaces collapse
    EXPECT_EQ(wrap_text("abc", 1, "    "), "a\n    b\n    c\n");  // indent wider than width
    EXPECT_EQ(wrap_row("Name", "one two three", 6), "Name  : one two three\n");
}

TEST(StatusGolden, LongHostNameAndReasonWrapAt80Columns) {
    auto m = fixture_snapshot();
    m.sources[0].snap.name = "a-rather-long-host-name.ntp.example.org:123";
    m.sources[0].address = "2001:db8:1234:5678:9abc:def0:1234:5678";
    m.sources[0].snap.refid = proto::refid_from_ascii("GPS");
    m.sources[0].snap.stratum = 1;
    const std::string expected =
        "Status          : synchronized to a-rather-long-host-name.ntp.example.org:123\n"
        "                  (stratum 11)\n"
        "State since     : 2026-11-22T10:58:51.000000000Z\n"
        "Reference ID    : 127.0.0.20 (2001:db8:1234:5678:9abc:def0:1234:5678)\n"
        "Source          : 2001:db8:1234:5678:9abc:def0:1234:5678 (stratum 1, refid\n"
        "                  .GPS., offset +0.001 ms)\n"
        "Authentication  : none\n"
        "Stratum         : 11\n"
        "Last update     : 2026-11-22T11:08:21.000000000Z (30 s ago)\n"
        "System offset   : +0.001234 ms (local clock behind the source)\n"
        "Frequency       : -12.500 ppm (clock made slower)\n"
        "System jitter   : 0.000000 ms\n"
        "Root delay      : 0.137329 ms\n"
        "Root dispersion : 0.457764 ms\n"
        "Leap status     : 0 (none)\n"
        "Poll interval   : 64 s (2^6)\n"
        "Precision       : 2^-24 s\n"
        "Daemon          : ntpd-lite test\n"
        "Server auth     : 0 authenticated replies, none dropped\n";
    const std::string got = run_status(m);
    EXPECT_EQ(got, expected);
    expect_fits(got);
}

// An NTS source in use, and a server answering keys and NTS with an NTS-KE server: the source's
// cookies and NTS-KE failures, the server's drops by kind, NAKs and NTS-KE counts, within 80
// columns; `status --json` carries the same numbers.
daemon::MonitorSnapshot nts_fixture() {
    namespace pn = proto::nts;
    auto m = fixture_snapshot();
    auth::AuthStatus& a = m.sources[0].snap.auth;
    a.kind = auth::AuthKind::kNts;
    a.nts.cookies = 7;
    a.nts.ke_exchanges = 2;
    a.nts.ke_failures[std::size_t(pn::KeFailure::kCertificate)] = 3;
    a.authenticated = 40;
    a.failures = 2;
    a.last_failure = auth::AuthFailure::kNtsNak;
    daemon::NtsKeServerTotals t;
    t.handshakes = 12;
    t.sessions = 10;
    t.cookies_issued = 80;
    t.failures[std::size_t(pn::KeServerFailure::kTlsHandshake)] = 4;
    t.failures[std::size_t(pn::KeServerFailure::kAlpn)] = 1;
    t.failures[std::size_t(pn::KeServerFailure::kCapReached)] = 2;
    m.nts_server = t;
    m.server.auth_replies = 1234;
    m.server.auth_bad_mac = 5;
    m.server.auth_unknown_key = 1;
    m.server.auth_nts_nak = 3;
    return m;
}

TEST(StatusGolden, NtsSourceAndServerAuthentication) {
    const std::string got = run_status(nts_fixture());
    expect_fits(got);
    EXPECT_NE(
        got.find("Authentication  : NTS, 7 cookies left; 2 refused, last nts-nak; NTS-KE failed:\n"
                 "                  3 certificate\n"),
        std::string::npos)
        << got;
    EXPECT_NE(
        got.find("Server auth     : 1234 authenticated replies, dropped 1 unknown key, 5 bad mac,\n"
                 "                  3 NTS NAKs\n"),
        std::string::npos)
        << got;
    EXPECT_NE(
        got.find("NTS-KE server   : 12 handshakes, 10 with cookies (80 issued), 7 failed: 4 tls\n"
                 "                  handshake, 1 alpn, 2 cap reached\n"),
        std::string::npos)
        << got;
}

// `peers` names an NTS source's cookies and failed key exchanges in its reason, like `status`.
TEST(PeersGolden, NtsSourceShowsCookiesAndKeyExchangeFailures) {
    ResponderTransport t(nts_fixture());
    DaemonOptions o;
    o.timeout_s = 0.01;
    std::ostringstream out, err;
    run_daemon_command_on(DaemonCommand::kPeers, t, "127.0.0.20:123", o, kFixtureNow_ns, out, err);
    const std::string got = out.str();
    expect_fits(got);
    EXPECT_NE(
        got.find("*127.0.0.20      selected       the system peer; auth NTS, 7 cookies left; 2\n"
                 "                                refused, last nts-nak; NTS-KE failed: 3\n"
                 "                                certificate\n"),
        std::string::npos)
        << got;
}

TEST(StatusGolden, KeyedSourceAndNoNtsServer) {
    auto m = fixture_snapshot();
    m.sources[0].snap.auth.kind = auth::AuthKind::kKey;
    m.sources[0].snap.auth.key_id = 42;
    const std::string got = run_status(m);
    EXPECT_NE(got.find("Authentication  : key 42\n"), std::string::npos) << got;
    EXPECT_EQ(got.find("NTS-KE server"), std::string::npos) << got;
}

TEST(StatusJson, CarriesTheAuthenticationFields) {
    ResponderTransport t(nts_fixture());
    DaemonOptions o;
    o.timeout_s = 0.01;
    o.json = true;
    std::ostringstream out, err;
    run_daemon_command_on(DaemonCommand::kStatus, t, "127.0.0.20:123", o, kFixtureNow_ns, out, err);
    const auto j = nlohmann::json::parse(out.str());
    EXPECT_EQ(j["auth"]["kind"], "nts");
    EXPECT_EQ(j["auth"]["nts_cookies"], 7);
    EXPECT_EQ(j["auth"]["failures"], 2);
    EXPECT_EQ(j["auth"]["last_failure"], "nts-nak");
    EXPECT_EQ(j["auth"]["nts_ke_exchanges"], 2);
    EXPECT_EQ(j["auth"]["nts_ke_failures"]["certificate"], 3);
    EXPECT_EQ(j["server_auth"]["replies"], 1234);
    EXPECT_EQ(j["server_auth"]["dropped"]["bad_mac"], 5);
    EXPECT_EQ(j["server_auth"]["dropped"]["unknown_key"], 1);
    EXPECT_EQ(j["server_auth"]["nts_naks"], 3);
    EXPECT_EQ(j["nts_ke_server"]["handshakes"], 12);
    EXPECT_EQ(j["nts_ke_server"]["cookies_issued"], 80);
    EXPECT_EQ(j["nts_ke_server"]["failures"], 7);
    EXPECT_EQ(j["nts_ke_server"]["failures_by_kind"]["cap_reached"], 2);
}

TEST(StatusGolden, UnsynchronizedWithALongWordIsCutNotOverflowing) {
    auto m = fixture_snapshot(false);
    m.system.version = "ntpd-lite " + std::string(90, 'v');  // one word longer than a line
    const std::string got = run_status(m);
    expect_fits(got);
    // The long word moves to its own line and is cut there; the Source line wraps at a space.
    EXPECT_NE(
        got.find("Source          : Free-running System Clock (unsynchronized because no source\n"
                 "                  is usable)\n"),
        std::string::npos)
        << got;
    EXPECT_NE(
        got.find("Daemon          : ntpd-lite\n" + std::string(18, ' ') + std::string(61, 'v') +
                 "\n" + std::string(18, ' ') + std::string(29, 'v') + "\n"),
        std::string::npos)
        << got;
}

TEST(QueryGolden, LongServerNameWraps) {
    SntpSample s;
    s.server_address = "2001:db8:1234:5678:9abc:def0:1234:5678";
    s.server_port = 123;
    s.offset_ns = 1'500'000;
    s.delay_ns = 250'000;
    s.reply.stratum = 2;
    HostPort hp;
    hp.host = "a-rather-long-host-name.ntp.example.org";
    hp.port = 123;
    const std::string got = format_sample_details(s, hp);
    expect_fits(got);
    EXPECT_EQ(got.substr(0, got.find("offset")),
              "server           a-rather-long-host-name.ntp.example.org:123\n"
              "                 ([2001:db8:1234:5678:9abc:def0:1234:5678]:123)\n");
}

TEST(ClientsGolden, LongAddressGetsItsOwnLine) {
    const auto reply = nlohmann::json::parse(R"({"ok": true, "clients": [
        {"address": "2001:db8:1234:5678:9abc:def0:1234:5678", "requests": 12, "answered": 11,
         "dropped": 1, "kod": 0, "last_seen_ago_ns": 3000000000},
        {"address": "127.0.0.5", "requests": 3, "answered": 3, "dropped": 0, "kod": 0,
         "last_seen_ago_ns": 1000000000}]})");
    const std::string expected =
        "Address                          Requests  Answered  Dropped    KoD Last seen\n"
        "===============================================================================\n"
        "2001:db8:1234:5678:9abc:def0:1234:5678\n"
        "                                       12        11        1      0       3 s\n"
        "127.0.0.5                               3         3        0      0       1 s\n";
    const std::string got = format_clients(reply);
    EXPECT_EQ(got, expected);
    expect_fits(got);
}

}  // namespace
}  // namespace ntplite::tools
