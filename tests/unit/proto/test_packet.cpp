// Packet codec: a hand-built vector, a table of malformed datagrams, and a random round trip.
#include "proto/packet.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <random>
#include <vector>

namespace ntplite::proto {
namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes(std::initializer_list<int> v) {
    Bytes out;
    for (int b : v) out.push_back(static_cast<std::byte>(b));
    return out;
}

// A 48-byte server reply: LI 0, VN 4, mode 4, stratum 2, poll 6, precision -20.
Bytes sample_reply() {
    return bytes({0x24, 0x02, 0x06, 0xEC,  // LI/VN/mode, stratum, poll, precision
                  0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x05, 0x67,    // root delay, root dispersion
                  0xC0, 0xA8, 0x01, 0x01,                            // refid 192.168.1.1
                  0xEA, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00,    // reference
                  0xEA, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,    // origin
                  0xEA, 0x00, 0x00, 0x03, 0x40, 0x00, 0x00, 0x00,    // receive
                  0xEA, 0x00, 0x00, 0x03, 0x40, 0x00, 0x10, 0x00});  // transmit
}

// Appends an RFC 7822 extension field with the given declared length and `body` value bytes.
void append_ext(Bytes& b, uint16_t type, uint16_t declared_len, std::size_t actual_len) {
    b.push_back(static_cast<std::byte>(type >> 8));
    b.push_back(static_cast<std::byte>(type));
    b.push_back(static_cast<std::byte>(declared_len >> 8));
    b.push_back(static_cast<std::byte>(declared_len));
    for (std::size_t i = 4; i < actual_len; ++i) b.push_back(std::byte{0xAB});
}

void append_zeros(Bytes& b, std::size_t n) {
    b.insert(b.end(), n, std::byte{0});
}

TEST(Packet, ParsesEveryHeaderField) {
    const auto p = parse(sample_reply());
    ASSERT_TRUE(p.has_value()) << to_string(p.error());
    EXPECT_EQ(p->leap, LeapIndicator::kNone);
    EXPECT_EQ(p->version, 4);
    EXPECT_EQ(p->mode, Mode::kServer);
    EXPECT_EQ(p->stratum, 2);
    EXPECT_EQ(p->poll_log2, 6);
    EXPECT_EQ(p->precision_log2, -20);
    EXPECT_EQ(p->root_delay.raw, 0x1234u);
    EXPECT_EQ(p->root_dispersion.raw, 0x0567u);
    EXPECT_EQ(p->refid, 0xC0A8'0101u);
    EXPECT_EQ(p->reference.raw, 0xEA00'0001'8000'0000u);
    EXPECT_EQ(p->origin.raw, 0xEA00'0002'0000'0001u);
    EXPECT_EQ(p->receive.raw, 0xEA00'0003'4000'0000u);
    EXPECT_EQ(p->transmit.raw, 0xEA00'0003'4000'1000u);
    EXPECT_EQ(p->extension_bytes, 0);
    EXPECT_EQ(p->mac_bytes, 0);
}

TEST(Packet, SerializeReproducesTheWireBytes) {
    const Bytes wire = sample_reply();
    const auto p = parse(wire);
    ASSERT_TRUE(p.has_value());
    Bytes out(64, std::byte{0x5A});
    ASSERT_EQ(serialize(*p, out), kHeaderSize);
    EXPECT_EQ(Bytes(out.begin(), out.begin() + 48), wire);
    EXPECT_EQ(out[48], std::byte{0x5A});  // nothing written past the header
}

TEST(Packet, SerializeRefusesSmallBuffer) {
    Bytes out(47);
    EXPECT_EQ(serialize(Packet{}, out), 0u);
}

TEST(Packet, LeapAndFlagsDecode) {
    Bytes wire = sample_reply();
    wire[0] = std::byte{0xE3};  // LI 3, VN 4, mode 3
    const auto p = parse(wire);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->leap, LeapIndicator::kUnsynchronized);
    EXPECT_EQ(p->mode, Mode::kClient);
    wire[0] = std::byte{0x4B};  // LI 1, VN 1, mode 3
    EXPECT_EQ(parse(wire)->version, 1);
    EXPECT_EQ(parse(wire)->leap, LeapIndicator::kInsertSecond);
}

TEST(Packet, PatchTransmitTouchesOnlyBytes40To47) {
    Bytes wire = sample_reply();
    const Bytes before = wire;
    patch_transmit(wire, NtpTimestamp{0x0102'0304'0506'0708});
    EXPECT_EQ(Bytes(wire.begin(), wire.begin() + 40), Bytes(before.begin(), before.begin() + 40));
    EXPECT_EQ(parse(wire)->transmit.raw, 0x0102'0304'0506'0708u);
}

struct TrailerCase {
    const char* name;
    Bytes trailer;
    std::optional<ParseError> error;
    uint16_t extension_bytes;
    uint16_t mac_bytes;
};

std::vector<TrailerCase> trailer_cases() {
    std::vector<TrailerCase> cases;
    auto add = [&](const char* name, Bytes t, std::optional<ParseError> err, uint16_t ext,
                   uint16_t mac) {
        cases.push_back({name, std::move(t), err, ext, mac});
    };
    Bytes t;
    add("no trailer", {}, std::nullopt, 0, 0);
    t = {};
    append_zeros(t, 4);
    add("crypto-NAK", t, std::nullopt, 0, 4);
    t = {};
    append_zeros(t, 20);
    add("MD5 MAC", t, std::nullopt, 0, 20);
    t = {};
    append_zeros(t, 24);
    add("SHA1 MAC", t, std::nullopt, 0, 24);
    t = {};
    append_ext(t, 0x0104, 16, 16);
    add("one 16-byte extension", t, std::nullopt, 16, 0);
    t = {};
    append_ext(t, 0x0104, 28, 28);
    add("one 28-byte extension", t, std::nullopt, 28, 0);
    t = {};
    append_ext(t, 0x0104, 16, 16);
    append_zeros(t, 20);
    add("extension + MD5 MAC", t, std::nullopt, 16, 20);
    t = {};
    append_ext(t, 0x0104, 28, 28);
    append_ext(t, 0x0204, 32, 32);
    append_zeros(t, 24);
    add("two extensions + SHA1 MAC", t, std::nullopt, 60, 24);
    t = {};
    append_ext(t, 0x0104, 20, 20);
    add("lone 20-byte extension reads as MAC", t, std::nullopt, 0, 20);
    t = {};
    append_zeros(t, 3);
    add("3 stray bytes", t, ParseError::kBadLength, 0, 0);
    t = {};
    append_ext(t, 0x0104, 16, 16);
    append_zeros(t, 2);
    add("extension + 2 stray bytes", t, ParseError::kBadLength, 0, 0);
    t = {};
    append_ext(t, 0x0104, 12, 12);  // otherwise well formed: a 12-byte field, then a MAC
    append_zeros(t, 20);
    add("extension length 12 < 16", t, ParseError::kBadExtensionLength, 0, 0);
    t = {};
    append_ext(t, 0x0104, 18, 18);  // otherwise well formed: an 18-byte field, then a MAC
    append_zeros(t, 20);
    add("extension length not multiple of 4", t, ParseError::kBadExtensionLength, 0, 0);
    t = {};
    append_ext(t, 0x0104, 0, 16);
    add("extension length 0", t, ParseError::kBadExtensionLength, 0, 0);
    t = {};
    append_ext(t, 0x0104, 36, 32);
    add("truncated extension", t, ParseError::kTruncatedExtension, 0, 0);
    t = {};
    append_ext(t, 0x0104, 0xFFFC, 16);
    add("huge extension length", t, ParseError::kTruncatedExtension, 0, 0);
    t = {};
    append_ext(t, 0x0104, 16, 8);
    add("8 bytes claiming a 16-byte extension", t, ParseError::kTruncatedExtension, 0, 0);
    t = {};
    append_ext(t, 0x0104, 16, 16);
    append_ext(t, 0x0104, 64, 16);
    add("second extension truncated", t, ParseError::kTruncatedExtension, 0, 0);
    return cases;
}

TEST(Packet, TrailerTable) {
    for (const auto& c : trailer_cases()) {
        SCOPED_TRACE(c.name);
        Bytes wire = sample_reply();
        wire.insert(wire.end(), c.trailer.begin(), c.trailer.end());
        const auto p = parse(wire);
        if (c.error) {
            ASSERT_FALSE(p.has_value());
            EXPECT_EQ(p.error(), *c.error) << to_string(p.error());
        } else {
            ASSERT_TRUE(p.has_value()) << to_string(p.error());
            EXPECT_EQ(p->extension_bytes, c.extension_bytes);
            EXPECT_EQ(p->mac_bytes, c.mac_bytes);
        }
    }
}

TEST(Packet, MalformedHeaderTable) {
    struct Case {
        const char* name;
        Bytes wire;
        ParseError error;
    };
    std::vector<Case> cases;
    cases.push_back({"empty", {}, ParseError::kTooShort});
    Bytes short47 = sample_reply();
    short47.pop_back();
    cases.push_back({"47 bytes", short47, ParseError::kTooShort});
    Bytes huge = sample_reply();
    append_zeros(huge, kMaxPacketSize + 1 - 48);
    cases.push_back({"1025 bytes", huge, ParseError::kTooLong});
    for (int vn : {0, 5, 6, 7}) {
        Bytes w = sample_reply();
        w[0] = static_cast<std::byte>(vn << 3 | 4);
        cases.push_back({"bad version", w, ParseError::kBadVersion});
    }
    Bytes mode6 =
        bytes({0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0});  // ntpq READVAR, 12 bytes
    cases.push_back({"mode 6 control (12 bytes)", mode6, ParseError::kControlMode});
    Bytes mode7 = sample_reply();
    mode7[0] = std::byte{0x17};
    cases.push_back({"mode 7 private", mode7, ParseError::kControlMode});
    Bytes mode6_bad_vn = sample_reply();
    mode6_bad_vn[0] = std::byte{0x06};  // VN 0 but mode 6: still classified as control
    cases.push_back({"mode 6 with version 0", mode6_bad_vn, ParseError::kControlMode});
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto p = parse(c.wire);
        ASSERT_FALSE(p.has_value());
        EXPECT_EQ(p.error(), c.error) << to_string(p.error());
    }
}

TEST(Packet, LargestAcceptedDatagram) {
    Bytes wire = sample_reply();
    append_ext(wire, 0x0104, static_cast<uint16_t>(kMaxPacketSize - 48), kMaxPacketSize - 48);
    ASSERT_EQ(wire.size(), kMaxPacketSize);
    const auto p = parse(wire);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->extension_bytes, kMaxPacketSize - 48);
}

TEST(Packet, ParseErrorNamesAreDistinct) {
    EXPECT_EQ(to_string(ParseError::kTooShort), "too-short");
    EXPECT_NE(to_string(ParseError::kTruncatedExtension),
              to_string(ParseError::kBadExtensionLength));
}

Packet random_packet(std::mt19937_64& rng) {
    auto u = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
    Packet p;
    p.leap = static_cast<LeapIndicator>(u(4));
    p.version = static_cast<uint8_t>(1 + u(4));
    p.mode = static_cast<Mode>(u(6));  // 0..5: 6 and 7 are control
    p.stratum = static_cast<uint8_t>(u(256));
    p.poll_log2 = static_cast<int8_t>(u(256));
    p.precision_log2 = static_cast<int8_t>(u(256));
    p.root_delay = NtpShort{static_cast<uint32_t>(rng())};
    p.root_dispersion = NtpShort{static_cast<uint32_t>(rng())};
    p.refid = static_cast<uint32_t>(rng());
    p.reference = NtpTimestamp{rng()};
    p.origin = NtpTimestamp{rng()};
    p.receive = NtpTimestamp{rng()};
    p.transmit = NtpTimestamp{rng()};
    return p;
}

TEST(Packet, RoundTripRandomPackets) {
    for (uint64_t seed : {1u, 2u, 3u}) {
        std::mt19937_64 rng(seed);
        for (int i = 0; i < 5000; ++i) {
            const Packet p = random_packet(rng);
            std::array<std::byte, kHeaderSize> wire{};
            ASSERT_EQ(serialize(p, wire), kHeaderSize);
            const auto back = parse(wire);
            ASSERT_TRUE(back.has_value()) << to_string(back.error());
            ASSERT_EQ(*back, p) << "seed " << seed << " case " << i;
            std::array<std::byte, kHeaderSize> again{};
            ASSERT_EQ(serialize(*back, again), kHeaderSize);
            ASSERT_EQ(again, wire);
        }
    }
}

TEST(Packet, RandomBytesNeverCrashAndReparseIdentically) {
    std::mt19937_64 rng(48);
    int parsed = 0;
    for (int i = 0; i < 20000; ++i) {
        static constexpr std::size_t kValidSizes[] = {48, 52, 68, 72};
        Bytes wire(rng() % 2 ? kValidSizes[rng() % 4] : 48 + rng() % 80);
        for (auto& b : wire) b = static_cast<std::byte>(rng());
        const auto p = parse(wire);
        if (!p) continue;
        ++parsed;
        std::array<std::byte, kHeaderSize> out{};
        ASSERT_EQ(serialize(*p, out), kHeaderSize);
        ASSERT_TRUE(std::equal(out.begin(), out.end(), wire.begin()));
        auto again = parse(out);
        ASSERT_TRUE(again.has_value());
        Packet header_only = *p;
        header_only.extension_bytes = 0;
        header_only.mac_bytes = 0;
        ASSERT_EQ(*again, header_only);
    }
    EXPECT_GT(parsed, 1000);  // the property was exercised, not vacuously true
}

}  // namespace
}  // namespace ntplite::proto
