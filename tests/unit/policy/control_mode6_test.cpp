// The mode 6 responder: association list and status words, system and peer variables as ntpq
// reads them, fragmentation of long responses, refusals, and what is never answered.
#include "daemon/policy/monitor/control_mode6.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/tools/monitor_fixture.hpp"

namespace ntplite::daemon {
namespace {

using proto::ControlOpcode;
using testing::fixture_snapshot;

std::vector<std::byte> request(ControlOpcode op, uint16_t assoc, std::string_view data = {},
                               uint16_t seq = 7) {
    proto::ControlHeader h;
    h.opcode = static_cast<uint8_t>(op);
    h.sequence = seq;
    h.association_id = assoc;
    std::vector<std::byte> out(proto::kControlMaxPacket);
    out.resize(proto::serialize_control(
        h, std::as_bytes(std::span<const char>(data.data(), data.size())), out));
    return out;
}

/// Reassembles the data of an answer whose fragments are in order; checks the headers.
std::string data_of(const Mode6Answer& a, const proto::ControlHeader** last = nullptr) {
    std::string out;
    static proto::ControlHeader h;
    for (std::size_t i = 0; i < a.datagrams.size(); ++i) {
        auto m = proto::parse_control(a.datagrams[i]);
        EXPECT_TRUE(m.has_value());
        if (!m) return {};
        EXPECT_TRUE(m->header.response);
        EXPECT_EQ(m->header.more, i + 1 < a.datagrams.size());
        EXPECT_EQ(m->header.offset, out.size());
        EXPECT_LE(a.datagrams[i].size(), proto::kControlHeaderSize + proto::kControlMaxData);
        out.append(reinterpret_cast<const char*>(m->data.data()), m->data.size());
        h = m->header;
    }
    if (last) *last = &h;
    return out;
}

TEST(ControlMode6, ReadStatusListsAssociationsWithStatusWords) {
    const auto m = fixture_snapshot();
    const auto a = answer_mode6(request(ControlOpcode::kReadStatus, 0), m);
    ASSERT_EQ(a.outcome, Mode6Outcome::kAnswered);
    const proto::ControlHeader* h = nullptr;
    const std::string d = data_of(a, &h);
    ASSERT_EQ(d.size(), 12u);
    // System status: LI 0, clock source 6 (NTP).
    EXPECT_EQ(h->status, 0x0600);
    EXPECT_EQ(h->sequence, 7);
    auto word = [&](std::size_t i) {
        return static_cast<uint16_t>(static_cast<uint8_t>(d[i]) << 8 |
                                     static_cast<uint8_t>(d[i + 1]));
    };
    EXPECT_EQ(word(0), 1);       // association 1 = source 0
    EXPECT_EQ(word(2), 0x9600);  // configured | reachable | system peer
    EXPECT_EQ(word(4), 2);
    EXPECT_EQ(word(6), 0x9400);  // candidate
    EXPECT_EQ(word(8), 3);
    EXPECT_EQ(word(10), 0x9100);  // falseticker
}

TEST(ControlMode6, UnsynchronizedSystemStatusHasLeap3) {
    const auto m = fixture_snapshot(false);
    const auto a = answer_mode6(request(ControlOpcode::kReadStatus, 0), m);
    const proto::ControlHeader* h = nullptr;
    data_of(a, &h);
    EXPECT_EQ(h->status >> 14, 3);
    EXPECT_EQ((h->status >> 8) & 0x3f, 0);
}

TEST(ControlMode6, SystemVariablesAsNtpqExpects) {
    const auto m = fixture_snapshot();
    const auto vars = system_variables(m, "", nullptr);
    for (const char* name :
         {"version", "processor", "system", "leap", "stratum", "precision", "rootdelay", "rootdisp",
          "refid", "reftime", "clock", "peer", "tc", "mintc", "offset", "frequency", "sys_jitter",
          "clk_jitter", "clk_wander"}) {
        EXPECT_NE(vars.find(std::string(name) + "="), std::string::npos) << name << " in " << vars;
    }
    EXPECT_NE(vars.find("stratum=11"), std::string::npos);
    EXPECT_NE(vars.find("refid=127.0.0.20"), std::string::npos);
    EXPECT_NE(vars.find("rootdelay=0.137"),
              std::string::npos);  // ms (NtpShort rounds 123 us up to 9/65536 s)
    EXPECT_NE(vars.find("offset=0.001234"), std::string::npos);  // 1234 ns in ms
    EXPECT_NE(vars.find("frequency=-12.500"), std::string::npos);
    EXPECT_NE(vars.find("peer=1"), std::string::npos);
    EXPECT_NE(vars.find("version=\"ntpd-lite test\""), std::string::npos);
    // Every name=value parses back.
    proto::VarListReader r(vars);
    int n = 0;
    while (auto v = r.next()) {
        EXPECT_FALSE(v->value.empty()) << v->name;
        ++n;
    }
    EXPECT_EQ(n, 32);  // 28 + authreplies, authdrops, ntsnaks, ntske (no NTS-KE server here)
    // What ntpsec's `ntpq -c sysinfo` needs, and ntpd-lite's own state.
    EXPECT_NE(vars.find("peeradr=127.0.0.20:14123"), std::string::npos) << vars;
    EXPECT_NE(vars.find("peermode=3"), std::string::npos);
    EXPECT_NE(vars.find("rootdist=0.5"), std::string::npos) << vars;  // 0.137/2 + 0.458 ms
    EXPECT_NE(vars.find("authdelay=0.000"), std::string::npos);
    EXPECT_NE(vars.find("sync_state=\"synchronized\""), std::string::npos);
    EXPECT_NE(vars.find("sync_reason=\"none\""), std::string::npos);
    EXPECT_NE(vars.find("sync_text=\"synchronized to 127.0.0.20:14123 (stratum 11)\""),
              std::string::npos)
        << vars;
}

TEST(ControlMode6, PeerVariablesAsNtpqExpects) {
    const auto m = fixture_snapshot();
    const auto a = answer_mode6(request(ControlOpcode::kReadVariables, 3), m);
    ASSERT_EQ(a.outcome, Mode6Outcome::kAnswered);
    const proto::ControlHeader* h = nullptr;
    const std::string d = data_of(a, &h);
    EXPECT_EQ(h->association_id, 3);
    EXPECT_EQ(h->status, 0x9100);
    for (const char* name :
         {"srcadr",    "srcport",  "dstadr",     "dstport", "leap",    "stratum", "precision",
          "rootdelay", "rootdisp", "refid",      "reftime", "rec",     "reach",   "unreach",
          "hmode",     "pmode",    "hpoll",      "ppoll",   "headway", "flash",   "keyid",
          "offset",    "delay",    "dispersion", "jitter"}) {
        EXPECT_NE(d.find(std::string(name) + "="), std::string::npos) << name << " in " << d;
    }
    EXPECT_NE(d.find("srcadr=127.0.0.22"), std::string::npos);
    EXPECT_NE(d.find("reach=0xff"), std::string::npos);
    EXPECT_NE(d.find("offset=5000.000000"), std::string::npos);  // 5 s in ms
    EXPECT_NE(d.find("delay=0.123456"), std::string::npos);
    EXPECT_NE(d.find("refid=127.127.1.1"), std::string::npos);
    EXPECT_NE(d.find("state=\"falseticker\""), std::string::npos);
}

TEST(ControlMode6, SelectedVariablesOnlyAndUnknownIsAnError) {
    const auto m = fixture_snapshot();
    auto a = answer_mode6(request(ControlOpcode::kReadVariables, 0, "stratum,offset"), m);
    EXPECT_EQ(data_of(a), "stratum=11, offset=0.001234");
    a = answer_mode6(request(ControlOpcode::kReadVariables, 0, "stratum,nosuchvar"), m);
    ASSERT_EQ(a.outcome, Mode6Outcome::kErrorAnswer);
    auto msg = proto::parse_control(a.datagrams.at(0));
    ASSERT_TRUE(msg);
    EXPECT_TRUE(msg->header.error);
    EXPECT_EQ(msg->header.status >> 8, 5);  // unknown variable
}

TEST(ControlMode6, LongResponsesAreFragmentedAt468Bytes) {
    auto m = fixture_snapshot();
    m.system.version = std::string(900, 'v');  // forces three fragments
    const auto a = answer_mode6(request(ControlOpcode::kReadVariables, 0), m);
    ASSERT_EQ(a.outcome, Mode6Outcome::kAnswered);
    const std::size_t len = system_variables(m, "", nullptr).size();
    ASSERT_GT(len, 2 * proto::kControlMaxData);
    ASSERT_EQ(a.datagrams.size(), (len + proto::kControlMaxData - 1) / proto::kControlMaxData);
    const std::string d = data_of(a);
    EXPECT_EQ(d, system_variables(m, "", nullptr));
    for (std::size_t i = 0; i + 1 < a.datagrams.size(); ++i) {
        EXPECT_EQ(a.datagrams[i].size(), proto::kControlHeaderSize + proto::kControlMaxData);
    }
}

TEST(ControlMode6, UnknownAssociationIsAnError) {
    const auto m = fixture_snapshot();
    for (auto op : {ControlOpcode::kReadVariables, ControlOpcode::kReadStatus}) {
        const auto a = answer_mode6(request(op, 99), m);
        ASSERT_EQ(a.outcome, Mode6Outcome::kErrorAnswer);
        auto msg = proto::parse_control(a.datagrams.at(0));
        ASSERT_TRUE(msg);
        EXPECT_EQ(msg->header.status >> 8, 4);
        EXPECT_EQ(msg->header.count, 0);
    }
}

TEST(ControlMode6, WritesTrapsConfigAndMrulistAreRefused) {
    const auto m = fixture_snapshot();
    struct Case {
        ControlOpcode op;
        int code;
    };
    for (Case c :
         {Case{ControlOpcode::kWriteVariables, 7}, Case{ControlOpcode::kSetTrap, 7},
          Case{ControlOpcode::kUnsetTrap, 7}, Case{ControlOpcode::kConfigure, 7},
          Case{ControlOpcode::kSaveConfig, 7}, Case{ControlOpcode::kWriteClockVariables, 7},
          Case{ControlOpcode::kReadMru, 3}, Case{ControlOpcode::kRequestNonce, 3},
          Case{ControlOpcode::kReadOrderedList, 3}, Case{ControlOpcode::kReadClockVariables, 3},
          Case{ControlOpcode::kReserved, 3}}) {
        const auto a = answer_mode6(request(c.op, 0, "x=1"), m);
        ASSERT_EQ(a.outcome, Mode6Outcome::kErrorAnswer) << static_cast<int>(c.op);
        ASSERT_EQ(a.datagrams.size(), 1u);
        EXPECT_EQ(a.datagrams[0].size(), proto::kControlHeaderSize);  // never amplifies
        auto msg = proto::parse_control(a.datagrams[0]);
        EXPECT_EQ(msg->header.status >> 8, c.code) << static_cast<int>(c.op);
    }
}

TEST(ControlMode6, ResponsesFragmentsAndGarbageAreNotAnswered) {
    const auto m = fixture_snapshot();
    auto r = request(ControlOpcode::kReadStatus, 0);
    r[1] |= std::byte{0x80};  // R bit: a response
    EXPECT_EQ(answer_mode6(r, m).outcome, Mode6Outcome::kDropped);
    r = request(ControlOpcode::kReadStatus, 0);
    r[1] |= std::byte{0x20};  // M bit: a fragment of a longer request
    EXPECT_EQ(answer_mode6(r, m).outcome, Mode6Outcome::kDropped);
    r = request(ControlOpcode::kReadStatus, 0);
    r.resize(8);
    EXPECT_TRUE(answer_mode6(r, m).datagrams.empty());
    std::vector<std::byte> mode3(48);
    mode3[0] = std::byte{0x23};
    EXPECT_EQ(answer_mode6(mode3, m).outcome, Mode6Outcome::kDropped);
}

TEST(ControlMode6, RefidText) {
    EXPECT_EQ(refid_text(proto::refid_from_ipv4({192, 0, 2, 1}), 2), "192.0.2.1");
    EXPECT_EQ(refid_text(proto::refid_from_ascii("GPS"), 1), "GPS");
    EXPECT_EQ(refid_text(proto::refid_from_ascii("LOCL"), 0), "LOCL");
    EXPECT_EQ(refid_text(0, 16), "INIT");
    EXPECT_EQ(refid_text(proto::refid_from_ascii("A,B="), 1), "A?B?");
    EXPECT_EQ(lfp_hex(proto::NtpTimestamp{0xe4f1c3a212345678ull}), "0xe4f1c3a2.12345678");
}

TEST(ControlMode6, AmplificationIsBoundedForEveryAcceptedRequest) {
    // The largest answer of each request type relative to its 12-byte request: recorded here so
    // a change that makes answers much bigger is noticed.
    const auto m = fixture_snapshot();
    const auto readstat = answer_mode6(request(ControlOpcode::kReadStatus, 0), m);
    const auto sysvars = answer_mode6(request(ControlOpcode::kReadVariables, 0), m);
    const auto peervars = answer_mode6(request(ControlOpcode::kReadVariables, 1), m);
    EXPECT_LE(readstat.total_bytes(), 12u + 4u * m.sources.size());
    EXPECT_LE(sysvars.total_bytes(), 2 * (proto::kControlHeaderSize + proto::kControlMaxData));
    EXPECT_LE(peervars.total_bytes(), 2 * (proto::kControlHeaderSize + proto::kControlMaxData));
    std::printf(
        "amplification (bytes out / 12 bytes in): readstat %.1f, readvar system %.1f, readvar peer "
        "%.1f\n",
        readstat.total_bytes() / 12.0, sysvars.total_bytes() / 12.0, peervars.total_bytes() / 12.0);
}

}  // namespace
}  // namespace ntplite::daemon
