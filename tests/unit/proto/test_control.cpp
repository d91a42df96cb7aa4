// Mode 6 control codec: header vectors, malformed datagrams, fragmentation, status words, var
// lists.
#include "proto/control.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace ntplite::proto {
namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes(std::initializer_list<int> v) {
    Bytes out;
    for (int b : v) out.push_back(static_cast<std::byte>(b));
    return out;
}

// What `ntpq -c rv` sends: VN 2, mode 6, READVAR, sequence 1, association 0, no data.
Bytes readvar_request() {
    return bytes({0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST(Control, ParsesAnNtpqReadvarRequest) {
    const auto m = parse_control(readvar_request());
    ASSERT_TRUE(m.has_value()) << to_string(m.error());
    EXPECT_EQ(m->header.version, 2);
    EXPECT_FALSE(m->header.response);
    EXPECT_FALSE(m->header.error);
    EXPECT_FALSE(m->header.more);
    EXPECT_EQ(m->header.opcode, static_cast<uint8_t>(ControlOpcode::kReadVariables));
    EXPECT_EQ(m->header.sequence, 1);
    EXPECT_EQ(m->header.association_id, 0);
    EXPECT_EQ(m->header.count, 0);
    EXPECT_TRUE(m->data.empty());
    EXPECT_EQ(m->mac_bytes, 0);
}

TEST(Control, ParsesAResponseWithDataAndFlags) {
    // R+M bits, opcode 2, seq 0x1234, status 0x0618, assoc 0xBEEF, offset 468, count 5 "a=1, "
    // padded.
    const Bytes wire = bytes({0x26, 0xA2, 0x12, 0x34, 0x06, 0x18, 0xBE, 0xEF, 0x01, 0xD4,
                              0x00, 0x05, 'a',  '=',  '1',  ',',  ' ',  0,    0,    0});
    const auto m = parse_control(wire);
    ASSERT_TRUE(m.has_value()) << to_string(m.error());
    EXPECT_EQ(m->header.version, 4);
    EXPECT_TRUE(m->header.response);
    EXPECT_FALSE(m->header.error);
    EXPECT_TRUE(m->header.more);
    EXPECT_EQ(m->header.opcode, 2);
    EXPECT_EQ(m->header.sequence, 0x1234);
    EXPECT_EQ(m->header.status, 0x0618);
    EXPECT_EQ(m->header.association_id, 0xBEEF);
    EXPECT_EQ(m->header.offset, 468);
    ASSERT_EQ(m->data.size(), 5u);
    EXPECT_EQ(m->data[0], std::byte{'a'});
}

TEST(Control, SerializeParseRoundTrip) {
    ControlHeader h;
    h.leap = LeapIndicator::kUnsynchronized;
    h.version = 3;
    h.response = true;
    h.error = true;
    h.more = false;
    h.opcode = 31;
    h.sequence = 65535;
    h.status = control_error_status(ControlError::kUnknownAssociation);
    h.association_id = 7;
    h.offset = 936;
    const Bytes data = bytes({'x', '=', '1'});
    std::array<std::byte, 32> out{};
    out.fill(std::byte{0xEE});
    ASSERT_EQ(serialize_control(h, data, out), 16u);  // 12 + 3, padded to 16
    EXPECT_EQ(out[15], std::byte{0});                 // padding is zero
    EXPECT_EQ(out[16], std::byte{0xEE});              // nothing beyond
    const auto m = parse_control(std::span(out).first(16));
    ASSERT_TRUE(m.has_value());
    h.count = 3;
    EXPECT_EQ(m->header, h);
    EXPECT_EQ(m->header.status, 0x0400);
}

TEST(Control, SerializeRefusesOversizeDataAndSmallBuffers) {
    std::array<std::byte, 600> out{};
    Bytes data(kControlMaxData + 1, std::byte{'a'});
    EXPECT_EQ(serialize_control(ControlHeader{}, data, out), 0u);
    data.resize(8);
    EXPECT_EQ(serialize_control(ControlHeader{}, data, std::span(out).first(19)), 0u);
    EXPECT_EQ(serialize_control(ControlHeader{}, data, std::span(out).first(20)), 20u);
}

TEST(Control, MalformedTable) {
    struct Case {
        const char* name;
        Bytes wire;
        ControlParseError error;
    };
    std::vector<Case> cases;
    cases.push_back({"empty", {}, ControlParseError::kTooShort});
    cases.push_back(
        {"11 bytes", bytes({0x16, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0}), ControlParseError::kTooShort});
    Bytes mode3 = readvar_request();
    mode3[0] = std::byte{0x23};
    cases.push_back({"mode 3", mode3, ControlParseError::kNotControl});
    Bytes mode7 = readvar_request();
    mode7[0] = std::byte{0x17};
    cases.push_back({"mode 7", mode7, ControlParseError::kNotControl});
    Bytes vn0 = readvar_request();
    vn0[0] = std::byte{0x06};
    cases.push_back({"version 0", vn0, ControlParseError::kBadVersion});
    Bytes vn5 = readvar_request();
    vn5[0] = std::byte{0x2E};
    cases.push_back({"version 5", vn5, ControlParseError::kBadVersion});
    Bytes big_count = readvar_request();
    big_count[10] = std::byte{0x01};
    big_count[11] = std::byte{0xD5};  // 469
    big_count.resize(12 + 472);
    cases.push_back({"count 469", big_count, ControlParseError::kCountTooLarge});
    Bytes truncated = readvar_request();
    truncated[11] = std::byte{8};
    truncated.resize(12 + 7);
    cases.push_back({"count past end", truncated, ControlParseError::kTruncatedData});
    Bytes huge_count = readvar_request();
    huge_count[10] = std::byte{0xFF};
    huge_count[11] = std::byte{0xFF};
    cases.push_back({"count 65535", huge_count, ControlParseError::kCountTooLarge});
    Bytes junk = readvar_request();
    junk.resize(12 + 10);
    cases.push_back({"10 stray bytes", junk, ControlParseError::kBadTrailer});
    Bytes too_long(kControlMaxPacket + 1, std::byte{0});
    too_long[0] = std::byte{0x16};
    cases.push_back({"too long", too_long, ControlParseError::kTooLong});
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto m = parse_control(c.wire);
        ASSERT_FALSE(m.has_value());
        EXPECT_EQ(m.error(), c.error) << to_string(m.error());
    }
}

TEST(Control, TrailerPaddingAndMac) {
    // count 5: data ends at 17, pad4 = 20, pad8 = 24.
    Bytes base = readvar_request();
    base[11] = std::byte{5};
    for (int i = 0; i < 5; ++i) base.push_back(std::byte{'v'});
    struct Case {
        std::size_t len;
        bool ok;
        uint16_t mac;
    };
    for (const Case c :
         {Case{17, true, 0}, Case{20, true, 0}, Case{24, true, 0}, Case{18, false, 0},
          Case{21, false, 0}, Case{40, true, 20}, Case{44, true, 24}, Case{48, true, 24},
          Case{37, false, 0}, Case{60, false, 0}}) {
        SCOPED_TRACE(c.len);
        Bytes w = base;
        w.resize(c.len, std::byte{0});
        const auto m = parse_control(w);
        ASSERT_EQ(m.has_value(), c.ok);
        if (c.ok) {
            EXPECT_EQ(m->mac_bytes, c.mac);
        } else {
            EXPECT_EQ(m.error(), ControlParseError::kBadTrailer);
        }
    }
}

TEST(Control, FragmentCount) {
    EXPECT_EQ(control_fragment_count(0), 1u);
    EXPECT_EQ(control_fragment_count(1), 1u);
    EXPECT_EQ(control_fragment_count(468), 1u);
    EXPECT_EQ(control_fragment_count(469), 2u);
    EXPECT_EQ(control_fragment_count(936), 2u);
    EXPECT_EQ(control_fragment_count(937), 3u);
    EXPECT_EQ(control_fragment_count(65535), 141u);
    EXPECT_EQ(control_fragment_count(1'000'000), 141u);  // capped by the 16-bit offset
}

TEST(Control, FragmentsReassembleToTheOriginalData) {
    const auto request = parse_control(readvar_request())->header;
    for (std::size_t total : {0u, 1u, 467u, 468u, 469u, 1000u, 1404u, 5000u}) {
        SCOPED_TRACE(total);
        Bytes data(total);
        for (std::size_t i = 0; i < total; ++i) data[i] = static_cast<std::byte>('a' + i % 26);
        const std::size_t n = control_fragment_count(total);
        Bytes reassembled;
        for (std::size_t i = 0; i < n; ++i) {
            std::array<std::byte, kControlHeaderSize + kControlMaxData> out{};
            const std::size_t len = control_fragment(request, 0x0615, false, data, i, out);
            ASSERT_GT(len, 0u);
            ASSERT_EQ(len % 4, 0u);
            const auto m = parse_control(std::span(out).first(len));
            ASSERT_TRUE(m.has_value()) << to_string(m.error());
            EXPECT_TRUE(m->header.response);
            EXPECT_EQ(m->header.more, i + 1 < n);
            EXPECT_EQ(m->header.sequence, request.sequence);
            EXPECT_EQ(m->header.opcode, request.opcode);
            EXPECT_EQ(m->header.version, request.version);
            EXPECT_EQ(m->header.status, 0x0615);
            EXPECT_EQ(m->header.offset, i * kControlMaxData);
            EXPECT_LE(m->header.count, kControlMaxData);
            EXPECT_EQ(m->header.offset, reassembled.size());
            reassembled.insert(reassembled.end(), m->data.begin(), m->data.end());
        }
        EXPECT_EQ(reassembled, data);
        std::array<std::byte, 480> out{};
        EXPECT_EQ(control_fragment(request, 0, false, data, n, out), 0u);  // past the last
    }
}

TEST(Control, FragmentNeedsRoomForItsData) {
    const auto request = parse_control(readvar_request())->header;
    Bytes data(100, std::byte{'z'});
    std::array<std::byte, 111> small{};
    EXPECT_EQ(control_fragment(request, 0, false, data, 0, small), 0u);
}

TEST(Control, ErrorResponseSetsEBit) {
    const auto request = parse_control(readvar_request())->header;
    std::array<std::byte, 16> out{};
    const std::size_t len = control_fragment(
        request, control_error_status(ControlError::kInvalidOpcode), true, {}, 0, out);
    ASSERT_EQ(len, kControlHeaderSize);
    EXPECT_EQ(out[1], std::byte{0xC2});  // R | E | opcode 2
    EXPECT_EQ(out[4], std::byte{0x03});
}

TEST(Control, SystemStatusWord) {
    // LI 0, source UDP/NTP (6), 1 event, last event 5 -> 0x0615.
    EXPECT_EQ(system_status_word(LeapIndicator::kNone, ClockSource::kUdpNtp, 1, 5), 0x0615);
    // Unsynchronized, unspecified source, 15 events, code 15 -> 0xC0FF.
    EXPECT_EQ(system_status_word(LeapIndicator::kUnsynchronized, ClockSource::kUnspecified, 15, 15),
              0xC0FF);
    // Counters wider than 4 bits are masked, not spilled into other fields.
    EXPECT_EQ(system_status_word(LeapIndicator::kNone, ClockSource::kUnspecified, 0x1F, 0x12),
              0x00F2);
}

TEST(Control, PeerStatusWord) {
    PeerStatusFlags f;
    f.configured = true;
    f.reachable = true;
    // 0x9000 | system peer 6 << 8 | 2 events | code 4 = 0x9624 (ntpq shows "9624").
    EXPECT_EQ(peer_status_word(f, PeerSelection::kSystemPeer, 2, 4), 0x9624);
    PeerStatusFlags all{true, true, true, true, true};
    EXPECT_EQ(peer_status_word(all, PeerSelection::kPpsPeer, 15, 15), 0xFFFF);
    EXPECT_EQ(peer_status_word(PeerStatusFlags{}, PeerSelection::kRejected, 0, 0), 0x0000);
    EXPECT_EQ(peer_status_word(PeerStatusFlags{}, PeerSelection::kCandidate, 0, 0), 0x0400);
}

TEST(VarList, WritesNameValuePairs) {
    std::array<char, 128> buf{};
    VarListWriter w(buf);
    EXPECT_TRUE(w.add_quoted("version", "ntp-lite 0.1"));
    EXPECT_TRUE(w.add_int("stratum", 2));
    EXPECT_TRUE(w.add_fixed("offset", -1'234'567, 6));
    EXPECT_TRUE(w.add_fixed("rootdisp", 500, 3));
    EXPECT_TRUE(w.add_raw("refid", "192.0.2.1"));
    EXPECT_TRUE(w.add_hex("reftime", 0xEA00'0001, 8));
    EXPECT_FALSE(w.overflowed());
    EXPECT_EQ(w.view(),
              "version=\"ntp-lite 0.1\", stratum=2, offset=-1.234567, rootdisp=0.500, "
              "refid=192.0.2.1, reftime=0xea000001");
}

TEST(VarList, FixedPointEdgeCases) {
    std::array<char, 128> buf{};
    VarListWriter w(buf);
    w.add_fixed("a", INT64_MIN, 9);
    w.add_fixed("b", 5, 0);
    w.add_fixed("c", -7, 2);
    EXPECT_EQ(w.view(), "a=-9223372036.854775808, b=5, c=-0.07");
}

TEST(VarList, StopsWholeVariablesAtTheEndOfTheBuffer) {
    std::array<char, 20> buf{};
    VarListWriter w(buf);
    EXPECT_TRUE(w.add_int("stratum", 2));           // 9 bytes
    EXPECT_FALSE(w.add_raw("refid", "192.0.2.1"));  // would need 2 + 15
    EXPECT_TRUE(w.overflowed());
    EXPECT_FALSE(w.add_int("x", 1));  // stays stopped, so no hole in the list
    EXPECT_EQ(w.view(), "stratum=2");
}

TEST(VarList, RefusesQuotesInsideQuotedValues) {
    std::array<char, 64> buf{};
    VarListWriter w(buf);
    EXPECT_FALSE(w.add_quoted("x", "a\"b"));
    EXPECT_EQ(w.size(), 0u);
}

TEST(VarList, ReaderParsesWhatTheWriterWrites) {
    VarListReader r(
        "version=\"ntpd 4.2, beta\", stratum=2,\r\n offset=-1.5, leap, processor=\"x86_64\"");
    std::vector<std::pair<std::string, std::string>> got;
    while (auto v = r.next()) got.emplace_back(v->name, v->value);
    ASSERT_EQ(got.size(), 5u);
    EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"version", "ntpd 4.2, beta"}));
    EXPECT_EQ(got[1], (std::pair<std::string, std::string>{"stratum", "2"}));
    EXPECT_EQ(got[2], (std::pair<std::string, std::string>{"offset", "-1.5"}));
    EXPECT_EQ(got[3], (std::pair<std::string, std::string>{"leap", ""}));
    EXPECT_EQ(got[4], (std::pair<std::string, std::string>{"processor", "x86_64"}));
}

TEST(VarList, ReaderSurvivesMalformedText) {
    for (std::string_view text :
         {"", ",,,", "=", "a=\"unterminated", "a=\"q\"junk, b=1", "  ,a=  ,", "\"\"=\""}) {
        VarListReader r(text);
        int n = 0;
        while (r.next() && n < 100) ++n;
        EXPECT_LT(n, 100) << text;
    }
    VarListReader r("a=\"q\"junk, b=1");
    EXPECT_EQ(r.next()->value, "q");
    EXPECT_EQ(r.next()->name, "b");
}

}  // namespace
}  // namespace ntplite::proto
