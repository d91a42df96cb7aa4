// MD5 (RFC 1321 test suite), IPv6 refid hashing, kiss codes and refid formatting.
#include "proto/refid.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "proto/md5.hpp"

namespace ntplite::proto {
namespace {

std::string md5_hex(std::string_view s) {
    const auto d = md5(std::as_bytes(std::span(s.data(), s.size())));
    std::string out;
    for (uint8_t b : d) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", b);
        out += buf;
    }
    return out;
}

TEST(Md5, Rfc1321TestSuite) {
    EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
    EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(md5_hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
    EXPECT_EQ(md5_hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
    EXPECT_EQ(md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
              "d174ab98d277d9f5a5611c2c9f419d9f");
    EXPECT_EQ(
        md5_hex("1234567890123456789012345678901234567890123456789012345678901234567890123456789"
                "0"),
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, PaddingBoundaries) {
    // 55 and 56 bytes straddle the one-block / two-block padding split.
    EXPECT_EQ(md5_hex(std::string(55, 'a')), "ef1772b6dff9a122358552954ad0df65");
    EXPECT_EQ(md5_hex(std::string(56, 'a')), "3b0c8ac703f828b04c6c197006d17218");
    EXPECT_EQ(md5_hex(std::string(64, 'a')), "014842d480b571495a4a0363793f7367");
}

TEST(Refid, AsciiAndIpv4) {
    EXPECT_EQ(refid_from_ascii("RATE"), 0x5241'5445u);
    EXPECT_EQ(refid_from_ascii("GPS"), 0x4750'5300u);
    EXPECT_EQ(refid_from_ipv4({192, 0, 2, 1}), 0xC000'0201u);
}

TEST(Refid, Ipv6IsFirstFourBytesOfMd5) {
    // ::1 -> md5(15 zero bytes + 0x01) = cf404dc806178c245b5b4fe2531e6d8c (python hashlib)
    std::array<uint8_t, 16> loopback{};
    loopback[15] = 1;
    EXPECT_EQ(refid_from_ipv6(loopback), 0xCF40'4DC8u);
    EXPECT_EQ(format_refid(refid_from_ipv6(loopback), 2), "207.64.77.200");
}

Packet kod(std::string_view code) {
    Packet p;
    p.mode = Mode::kServer;
    p.stratum = 0;
    p.refid = refid_from_ascii(code);
    return p;
}

TEST(Kiss, CodesAreRecognised) {
    EXPECT_EQ(kiss_code(kod("RATE")), KissCode::kRate);
    EXPECT_EQ(kiss_code(kod("DENY")), KissCode::kDeny);
    EXPECT_EQ(kiss_code(kod("RSTR")), KissCode::kRstr);
    EXPECT_EQ(kiss_code(kod("INIT")), KissCode::kInit);
    EXPECT_EQ(kiss_code(kod("STEP")), KissCode::kStep);
    EXPECT_EQ(kiss_code(kod("NTSN")), KissCode::kNtsn);
    EXPECT_EQ(kiss_code(kod("XYZZ")), KissCode::kOther);
    EXPECT_EQ(kiss_code(kod("")), KissCode::kOther);  // chronyd's unsynchronized reply: refid 0
}

TEST(Kiss, OnlyStratumZeroRepliesAreKod) {
    Packet p = kod("RATE");
    EXPECT_TRUE(is_kod(p));
    p.stratum = 1;
    EXPECT_FALSE(is_kod(p));
    EXPECT_EQ(kiss_code(p), std::nullopt);
    Packet request = kod("RATE");
    request.mode = Mode::kClient;  // a client's stratum 0 is just "unspecified"
    EXPECT_FALSE(is_kod(request));
}

TEST(Kiss, DescriptionsForPeople) {
    EXPECT_EQ(describe_kiss(refid_from_ascii("RATE")), "RATE (rate exceeded, reduce poll)");
    EXPECT_EQ(describe_kiss(refid_from_ascii("ABCD")), "ABCD (unknown kiss code)");
    EXPECT_EQ(describe_kiss(0x01020304), "1.2.3.4 (unknown kiss code)");
}

TEST(Refid, Formatting) {
    EXPECT_EQ(format_refid(refid_from_ascii("LOCL"), 1), ".LOCL.");
    EXPECT_EQ(format_refid(refid_from_ascii("GPS"), 1), ".GPS.");
    EXPECT_EQ(format_refid(refid_from_ascii("RATE"), 0), ".RATE.");
    EXPECT_EQ(format_refid(refid_from_ascii("INIT"), 16), ".INIT.");
    EXPECT_EQ(format_refid(0xC0A8'0101, 2), "192.168.1.1");
    EXPECT_EQ(format_refid(refid_from_ascii("LOCL"), 3),
              "76.79.67.76");                            // stratum >= 2 is an address
    EXPECT_EQ(format_refid(0x0102'0304, 1), "1.2.3.4");  // unprintable "code"
    EXPECT_EQ(format_refid(0, 0), "..");
}

}  // namespace
}  // namespace ntplite::proto

TEST(KissName, NamesEveryCodeAndOther) {
    using ntplite::proto::kiss_name;
    using ntplite::proto::KissCode;
    EXPECT_EQ(kiss_name(KissCode::kRate), "RATE");
    EXPECT_EQ(kiss_name(KissCode::kDeny), "DENY");
    EXPECT_EQ(kiss_name(KissCode::kRstr), "RSTR");
    EXPECT_EQ(kiss_name(KissCode::kInit), "INIT");
    EXPECT_EQ(kiss_name(KissCode::kNtsn), "NTSN");
    EXPECT_EQ(kiss_name(KissCode::kOther), "OTHER");
}
