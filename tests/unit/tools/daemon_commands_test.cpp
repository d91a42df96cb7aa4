// ntpq-lite peers/status/source against the daemon's mode 6 responder, in-process: the table,
// the plain "not synchronized", the source line, JSON schemas, reassembly and exit statuses.
#include "tools/ntpq/daemon_commands.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "tests/unit/tools/monitor_fixture.hpp"
#include "tools/ntpq/daemon_format.hpp"
#include "tools/ntpq/daemon_query.hpp"

namespace ntplite::tools {
namespace {

using testing::fixture_snapshot;
using testing::kFixtureNow_ns;
using testing::ResponderTransport;

struct CmdResult {
    ExitCode code;
    std::string out, err;
};

CmdResult run(DaemonCommand cmd, ResponderTransport& t, bool json = false) {
    DaemonOptions o;
    o.json = json;
    o.timeout_s = 0.01;
    std::ostringstream out, err;
    ExitCode c = run_daemon_command_on(cmd, t, "127.0.0.20:123", o, kFixtureNow_ns, out, err);
    return {c, out.str(), err.str()};
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
}

TEST(NtpqPeers, TableLikeNtpqWithTallyCodesOctalReachAndMilliseconds) {
    ResponderTransport t(fixture_snapshot());
    const CmdResult r = run(DaemonCommand::kPeers, t);
    ASSERT_EQ(r.code, ExitCode::kOk) << r.err;
    const auto l = lines(r.out);
    ASSERT_EQ(l.size(), 11u) << r.out;
    EXPECT_EQ(l[0], "127.0.0.20:123: synchronized to 127.0.0.20:14123 (stratum 11)");
    EXPECT_EQ(l[1],
              "     remote           refid      st t when poll reach   delay   offset   jitter");
    EXPECT_EQ(l[3],
              "*127.0.0.20      127.127.1.1     10 u   12   64   377   0.123    0.001    0.008");
    EXPECT_EQ(l[4].substr(0, 12), "+127.0.0.21 ");
    EXPECT_EQ(l[5],
              "x127.0.0.22      127.127.1.1     10 u   12   64   377   0.123 5000.000    0.008");
    EXPECT_EQ(l[8], "*127.0.0.20      selected       the system peer");
    EXPECT_EQ(l[10], "x127.0.0.22      falseticker    outside the majority's interval");
    EXPECT_EQ(t.requests, 5);  // READVAR system + READSTAT + READVAR of 3 peers
}

TEST(NtpqPeers, Json) {
    ResponderTransport t(fixture_snapshot());
    const CmdResult r = run(DaemonCommand::kPeers, t, true);
    ASSERT_EQ(r.code, ExitCode::kOk);
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["schema"], "ntpq-lite.peers/1");
    ASSERT_EQ(j["peers"].size(), 3u);
    EXPECT_EQ(j["peers"][0]["tally"], "*");
    EXPECT_EQ(j["peers"][0]["state"], "selected");
    EXPECT_EQ(j["peers"][2]["state"], "falseticker");
    EXPECT_EQ(j["peers"][0]["reach"], 255);
    EXPECT_EQ(j["peers"][0]["reach_octal"], "377");
    EXPECT_DOUBLE_EQ(j["peers"][2]["offset_ms"].get<double>(), 5000.0);
    EXPECT_EQ(j["peers"][0]["when_s"], 12);
    EXPECT_EQ(j["synchronized"], true);
}

TEST(NtpqPeers, FragmentsOutOfOrderAreReassembled) {
    auto m = fixture_snapshot();
    m.system.version = std::string(1000, 'v');
    ResponderTransport t(m);
    t.reverse = true;
    const CmdResult r = run(DaemonCommand::kStatus, t, true);
    ASSERT_EQ(r.code, ExitCode::kOk) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["version"].get<std::string>().size(), 1000u);
}

TEST(NtpqPeers, MissingFragmentIsUnreachableExit8) {
    auto m = fixture_snapshot();
    m.system.version = std::string(1000, 'v');
    ResponderTransport t(m);
    t.drop_last = true;
    const CmdResult r = run(DaemonCommand::kStatus, t, true);
    EXPECT_EQ(static_cast<int>(r.code), 8);
    EXPECT_NE(r.err.find("incomplete answer"), std::string::npos) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["exit_code"], 8);
    EXPECT_EQ(j["error"]["code"], "daemon_unreachable");
}

TEST(NtpqPeers, NoAnswerIsExit8) {
    ResponderTransport t(fixture_snapshot());
    t.drop_last = true;  // single-fragment answers vanish entirely
    const CmdResult r = run(DaemonCommand::kPeers, t);
    EXPECT_EQ(static_cast<int>(r.code), 8);
    // The system variables span two fragments: losing the last one is an incomplete answer.
    EXPECT_NE(r.err.find("answer from 127.0.0.20:123"), std::string::npos) << r.err;
}

TEST(NtpqStatus, SynchronizedBlock) {
    ResponderTransport t(fixture_snapshot());
    const CmdResult r = run(DaemonCommand::kStatus, t);
    ASSERT_EQ(r.code, ExitCode::kOk);
    EXPECT_NE(r.out.find("Status          : synchronized to 127.0.0.20:14123 (stratum 11)\n"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Reference ID    : 127.0.0.20 (127.0.0.20)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Stratum         : 11\n"), std::string::npos);
    EXPECT_NE(r.out.find("(30 s ago)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Frequency       : -12.500 ppm"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Leap status     : 0 (none)"), std::string::npos);
    EXPECT_NE(r.out.find("Poll interval   : 64 s"), std::string::npos);
}

TEST(NtpqStatus, SaysNotSynchronizedPlainlyAndExits6) {
    ResponderTransport t(fixture_snapshot(false));
    const CmdResult r = run(DaemonCommand::kStatus, t);
    EXPECT_EQ(r.code, ExitCode::kUnsynchronized);
    EXPECT_NE(r.out.find("Status          : unsynchronized because no source is usable"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Stratum         : 16 (unsynchronized)"), std::string::npos) << r.out;
    ResponderTransport t2(fixture_snapshot(false));
    const CmdResult j = run(DaemonCommand::kStatus, t2, true);
    auto doc = nlohmann::json::parse(j.out);
    EXPECT_EQ(doc["schema"], "ntpq-lite.status/1");
    EXPECT_EQ(doc["synchronized"], false);
    EXPECT_EQ(doc["source"], nullptr);
    EXPECT_EQ(doc["exit_code"], 6);
}

TEST(NtpqSource, OneLineNamingTheSource) {
    ResponderTransport t(fixture_snapshot());
    const CmdResult r = run(DaemonCommand::kSource, t);
    ASSERT_EQ(r.code, ExitCode::kOk);
    EXPECT_EQ(r.out, "127.0.0.20 (stratum 10, refid 127.127.1.1, offset +0.001 ms)\n");
    EXPECT_EQ(t.requests, 2);  // system variables + the system peer's variables only
}

TEST(NtpqSource, FreeRunningWhenUnsynchronized) {
    ResponderTransport t(fixture_snapshot(false));
    const CmdResult r = run(DaemonCommand::kSource, t);
    EXPECT_EQ(r.code, ExitCode::kUnsynchronized);
    EXPECT_EQ(r.out, "Free-running System Clock (unsynchronized because no source is usable)\n");
}

TEST(NtpqSource, LocalClockWhenServingItsOwnClock) {
    auto m = fixture_snapshot();
    m.system.system_peer.reset();
    m.sources.clear();
    m.system.state.stratum = 7;
    m.system.state.refid = clock::kLocalFallbackRefid;
    m.system.status.state = clock::SyncState::kLocal;
    m.system.status.reason = clock::UnsyncReason::kNoSources;
    m.system.status.system_peer.reset();
    ResponderTransport t(m);
    const CmdResult r = run(DaemonCommand::kSource, t, true);
    ASSERT_EQ(r.code, ExitCode::kLocalFallback);  // exit 12: scripts tell it from a real source
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["kind"], "local");
    EXPECT_EQ(j["state"], "local");
    EXPECT_EQ(j["exit_code"], 12);
    EXPECT_EQ(j["stratum"], nullptr);  // no source: its stratum is absent, not 0
    EXPECT_EQ(j["system_stratum"], 7);
    EXPECT_EQ(j["line"], "Local clock (127.127.1.1, stratum 7): no network source selected");
}

TEST(NtpqMode6, RefusalIsExit9) {
    // A daemon without that association answers with an error: the client reports it.
    ResponderTransport t(fixture_snapshot());
    Mode6Client c(t, std::chrono::milliseconds(10), "x");
    auto r = c.request(proto::ControlOpcode::kReadMru, 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Mode6Failure::Kind::kRefused);
    EXPECT_EQ(static_cast<int>(exit_code_for(r.error())), 9);
    EXPECT_NE(r.error().message.find("invalid or unsupported opcode"), std::string::npos);
}

TEST(NtpqMode6, AssemblerRejectsOverlapsAndWaitsForHoles) {
    auto frag = [](uint16_t off, std::string_view data, bool more) {
        proto::ControlMessage m;
        m.header.response = true;
        m.header.offset = off;
        m.header.count = static_cast<uint16_t>(data.size());
        m.header.more = more;
        m.data = std::as_bytes(std::span<const char>(data.data(), data.size()));
        return m;
    };
    FragmentAssembler a;
    EXPECT_TRUE(a.add(frag(4, "efgh", false)));
    EXPECT_FALSE(a.complete());
    EXPECT_TRUE(a.add(frag(4, "efgh", false)));  // duplicate: ignored
    EXPECT_FALSE(a.add(frag(2, "cdef", true)));  // overlap
    EXPECT_TRUE(a.add(frag(0, "abcd", true)));
    EXPECT_TRUE(a.complete());
    EXPECT_EQ(a.data(), "abcdefgh");
    FragmentAssembler b;
    EXPECT_FALSE(b.add(frag(0, "", true)));  // empty non-final fragment
}

TEST(NtpqMode6, LfpAndIntervals) {
    const auto t = proto::NtpTimestamp::from_unix_ns(kFixtureNow_ns);
    char text[32];
    std::snprintf(text, sizeof text, "0x%08x.%08x", t.seconds(), t.fraction());
    auto ns = parse_lfp_unix_ns(text, kFixtureNow_ns);
    ASSERT_TRUE(ns);
    EXPECT_LE(std::abs(*ns - kFixtureNow_ns), 1);
    EXPECT_FALSE(parse_lfp_unix_ns("0x00000000.00000000", kFixtureNow_ns));
    EXPECT_FALSE(parse_lfp_unix_ns("garbage", kFixtureNow_ns));
    EXPECT_TRUE(parse_lfp_unix_ns(std::string(text).substr(2), kFixtureNow_ns));
    EXPECT_EQ(pretty_interval(std::nullopt), "-");
    EXPECT_EQ(pretty_interval(64), "64");
    EXPECT_EQ(pretty_interval(2049), "35m");
    EXPECT_EQ(pretty_interval(7200 * 3), "6h");
    EXPECT_EQ(pretty_interval(86400 * 5), "5d");
    EXPECT_EQ(display_refid("GPS"), ".GPS.");
    EXPECT_EQ(display_refid("10.0.0.1"), "10.0.0.1");
}

TEST(NtpqMode6, ParsesNtpsecStyleVariables) {
    // What ntpsec's ntpd sends for a peer (values as it formats them).
    PeerInfo p;
    p.status = 0x9614;
    p.vars = parse_vars(
        "srcadr=192.0.2.7, srcport=123, dstadr=192.0.2.1, dstport=123, leap=0, stratum=2,\r\n"
        "precision=-24, rootdelay=1.234, rootdisp=0.567, refid=192.0.2.99, reach=0x7f, hmode=3,\r\n"
        "hpoll=6, ppoll=7, offset=-0.123456, delay=0.987654, dispersion=1.1, jitter=0.045678");
    interpret_peer(p, kFixtureNow_ns);
    EXPECT_EQ(p.remote, "192.0.2.7");
    EXPECT_EQ(p.tally(), '*');
    EXPECT_EQ(p.reach, 0x7fu);
    EXPECT_EQ(p.poll_log2, 6);
    EXPECT_EQ(p.stratum, 2);
    EXPECT_DOUBLE_EQ(*p.offset_ms, -0.123456);
    EXPECT_FALSE(p.when_s);
}

}  // namespace
}  // namespace ntplite::tools
