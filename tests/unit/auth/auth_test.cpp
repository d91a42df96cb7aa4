// ntplite_auth: keys-file parser, MAC vectors, trailer classification and the client/server
// round trip (seal -> check -> seal reply -> open), including the refusals.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "proto/auth/client.hpp"
#include "proto/auth/keys.hpp"
#include "proto/auth/mac.hpp"
#include "proto/auth/server.hpp"
#include "proto/auth/tail.hpp"
#include "proto/random.hpp"

namespace ntplite::auth {
namespace {

std::vector<std::byte> bytes_of(std::string_view hex) {
    std::vector<std::byte> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(
            static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

std::string hex_of(std::span<const std::byte> b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (std::byte x : b) {
        s += d[std::to_integer<int>(x) >> 4];
        s += d[std::to_integer<int>(x) & 15];
    }
    return s;
}

KeySet keys_from(std::string_view text) {
    auto k = parse_key_file(text, "keys");
    EXPECT_TRUE(k.has_value());
    return k ? *k : KeySet{};
}

constexpr std::string_view kKeys =
    "# comment\n"
    "  ; also a comment\n"
    "\n"
    "1 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
    "2 SHA1 ASCII:secretkey\n"
    "3 crocus\n"
    "4 AES256 HEX:603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n";

TEST(KeyFile, ParsesChronyFormat) {
    KeySet ks = keys_from(kKeys);
    ASSERT_EQ(ks.size(), 4u);
    EXPECT_EQ(ks.find(1)->type, KeyType::kAes128Cmac);
    EXPECT_EQ(ks.find(1)->secret_bytes, 16u);
    EXPECT_EQ(ks.find(2)->type, KeyType::kSha1);
    EXPECT_EQ(ks.find(3)->type, KeyType::kMd5);  // chrony's default type
    EXPECT_EQ(ks.find(3)->secret_bytes, 6u);
    EXPECT_EQ(ks.find(4)->type, KeyType::kAes256Cmac);
    EXPECT_EQ(ks.find(5), nullptr);
    EXPECT_EQ(ks.index_of(4), 3u);
}

TEST(KeyFile, EveryBadLineIsAnErrorWithItsLineAndNoSecret) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"0 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n", "1 to 4294967295"},
        {"4294967296 SHA1 HEX:00\n", "1 to 4294967295"},
        {"x SHA1 HEX:00\n", "1 to 4294967295"},
        {"1 AES128 HEX:2b7e1516\n", "needs a 128-bit key"},
        {"1 AES256 HEX:2b7e151628aed2a6abf7158809cf4f3c\n", "needs a 256-bit key"},
        {"1 SHA1 HEX:zz\n", "not a hex digit"},
        {"1 SHA1 HEX:abc\n", "even"},
        {"1 SHA256 HEX:00\n", "unsupported type"},
        {"1\n", "ID [TYPE] KEY"},
        {"1 SHA1 HEX:00 extra\n", "ID [TYPE] KEY"},
        {"1 SHA1 HEX:00\n1 SHA1 HEX:01\n", "defined twice"},
        {"1 SHA1 ASCII:\n", "empty key"},
    };
    for (const auto& [text, want] : cases) {
        auto r = parse_key_file(text, "k");
        ASSERT_FALSE(r.has_value()) << text;
        const std::string msg = to_string(r.error().front());
        EXPECT_NE(msg.find(want), std::string::npos) << text << " -> " << msg;
        EXPECT_EQ(msg.find("2b7e1516"), std::string::npos) << "key material in: " << msg;
    }
    auto r = parse_key_file("\n\n1 SHA1 HEX:zz\n", "k");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().front().line, 3);
    std::string big(kMaxKeyFileBytes + 1, '#');
    EXPECT_FALSE(parse_key_file(big, "k").has_value());
}

TEST(Mac, AesCmacMatchesRfc4493AndHashesAreKeyThenPacket) {
    MacEngine mac(keys_from(kKeys));
    ASSERT_TRUE(mac.ok());
    std::array<std::byte, kMaxDigestBytes> out{};
    // RFC 4493 section 4, examples 1 and 2.
    ASSERT_EQ(mac.compute(*mac.index_of(1), {}, out), 16u);
    EXPECT_EQ(hex_of(std::span(out).first(16)), "bb1d6929e95937287fa37d129b756746");
    auto m16 = bytes_of("6bc1bee22e409f96e93d7e117393172a");
    ASSERT_EQ(mac.compute(*mac.index_of(1), m16, out), 16u);
    EXPECT_EQ(hex_of(std::span(out).first(16)), "070a16b46b4d4144f79bdd9dd04a287c");
    // RFC 4493's key with AES-256 (NIST SP 800-38B example 9: empty message).
    ASSERT_EQ(mac.compute(*mac.index_of(4), {}, out), 16u);
    EXPECT_EQ(hex_of(std::span(out).first(16)), "028962f61b7bf89efc6b551f4667d983");
    // SHA1 / MD5 are H(key || data) (values from Python's hashlib).
    std::array<std::byte, 48> data{};
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i);
    ASSERT_EQ(mac.compute(*mac.index_of(2), data, out), 20u);
    EXPECT_EQ(hex_of(out), "e0c20e09cbcab3d9e311dccbffa4d412bb743f7d");
    ASSERT_EQ(mac.compute(*mac.index_of(3), data, out), 16u);
    EXPECT_EQ(hex_of(std::span(out).first(16)), "d8f65975dee01d16668242fa852df772");
    // verify: right digest, one bit off, wrong length.
    EXPECT_TRUE(mac.verify(*mac.index_of(3), data, std::span(out).first(16)));
    out[5] ^= std::byte{0x01};
    EXPECT_FALSE(mac.verify(*mac.index_of(3), data, std::span(out).first(16)));
    EXPECT_FALSE(mac.verify(*mac.index_of(2), data, std::span(out).first(16)));
}

std::vector<std::byte> header(proto::Mode mode, uint64_t transmit = 0x0102030405060708) {
    proto::Packet p;
    p.mode = mode;
    p.transmit = proto::NtpTimestamp{transmit};
    std::vector<std::byte> out(proto::kHeaderSize);
    proto::serialize(p, out);
    return out;
}

Tail tail_of(std::span<const std::byte> d) {
    auto p = proto::parse(d);
    EXPECT_TRUE(p.has_value());
    return p ? classify_tail(d, *p) : Tail{TailKind::kMalformed};
}

TEST(Tail, ClassifiesEveryTrailer) {
    auto h = header(proto::Mode::kClient);
    EXPECT_EQ(tail_of(h).kind, TailKind::kNone);
    auto nak = h;
    nak.resize(52);
    EXPECT_EQ(tail_of(nak).kind, TailKind::kCryptoNak);
    nak[51] = std::byte{1};
    EXPECT_EQ(tail_of(nak).kind, TailKind::kMalformed);
    auto mac = h;
    mac.resize(48 + 24);
    mac[51] = std::byte{7};
    Tail t = tail_of(mac);
    EXPECT_EQ(t.kind, TailKind::kMac);
    EXPECT_EQ(t.key_id, 7u);
    EXPECT_EQ(t.digest_bytes, 20u);
    EXPECT_EQ(t.mac_offset, 48u);
    // An NTS unique identifier (36 bytes) then a 20-byte MAC.
    auto ef = h;
    ef.resize(48 + 36 + 20);
    ef[48] = std::byte{0x01};
    ef[49] = std::byte{0x04};
    ef[51] = std::byte{36};
    ef[48 + 36 + 3] = std::byte{9};
    t = tail_of(ef);
    EXPECT_EQ(t.kind, TailKind::kMac);
    EXPECT_TRUE(t.nts);
    EXPECT_EQ(t.ef_bytes, 36u);
    EXPECT_EQ(t.key_id, 9u);
    ef.resize(48 + 36);
    t = tail_of(ef);
    EXPECT_EQ(t.kind, TailKind::kExtensions);
    EXPECT_TRUE(t.nts);
}

struct RoundTrip : ::testing::Test {
    std::shared_ptr<const KeySet> keys = std::make_shared<const KeySet>(keys_from(kKeys));
    proto::SeededRandom rng{1};
    ServerAuth server{keys};

    // Server side of one exchange: check, build a reply header, seal it.
    std::vector<std::byte> answer(std::span<const std::byte> req, RequestAuth* verdict) {
        auto p = proto::parse(req);
        EXPECT_TRUE(p.has_value());
        ReplySeal seal;
        *verdict = server.check_request(req, *p, &seal);
        if (*verdict != RequestAuth::kValidMac) return {};
        std::vector<std::byte> out(proto::kMaxPacketSize);
        auto h = header(proto::Mode::kServer, 0x1111);
        std::copy(h.begin(), h.end(), out.begin());
        const std::size_t n = server.seal_reply(seal, out, proto::kHeaderSize);
        EXPECT_EQ(n, req.size());  // never longer than the request
        out.resize(n);
        return out;
    }
};

TEST_F(RoundTrip, EveryKeyTypeAuthenticatesBothWays) {
    for (uint32_t id : {1u, 2u, 3u, 4u}) {
        auto client = make_client_authenticator({AuthKind::kKey, id, {}}, {keys, {}});
        RequestBuffer req;
        auto h = header(proto::Mode::kClient);
        std::copy(h.begin(), h.end(), req.bytes.begin());
        req.size = h.size();
        ASSERT_EQ(client->seal(req, rng), AuthFailure::kNone);
        EXPECT_EQ(req.size, 48u + 4 + (id == 2 ? 20 : 16));
        RequestAuth verdict{};
        auto reply = answer(req.view(), &verdict);
        ASSERT_EQ(verdict, RequestAuth::kValidMac) << id;
        EXPECT_EQ(client->open(reply), AuthFailure::kNone) << id;
        // Any single flipped bit of the reply is refused.
        for (std::size_t bit = 0; bit < reply.size() * 8; bit += 37) {
            auto bad = reply;
            bad[bit / 8] ^= static_cast<std::byte>(1 << (bit % 8));
            EXPECT_NE(client->open(bad), AuthFailure::kNone) << "key " << id << " bit " << bit;
        }
        AuthStatus st;
        client->describe(st);
        EXPECT_EQ(st.kind, AuthKind::kKey);
        EXPECT_EQ(st.key_id, id);
    }
}

TEST_F(RoundTrip, RefusalsAreTyped) {
    auto client = make_client_authenticator({AuthKind::kKey, 1, {}}, {keys, {}});
    RequestBuffer req;
    auto h = header(proto::Mode::kClient);
    std::copy(h.begin(), h.end(), req.bytes.begin());
    req.size = 48;
    ASSERT_EQ(client->seal(req, rng), AuthFailure::kNone);
    // Server: a tampered request, an unknown key id.
    auto tampered = std::vector<std::byte>(req.view().begin(), req.view().end());
    tampered[47] ^= std::byte{0x80};
    RequestAuth v{};
    EXPECT_TRUE(answer(tampered, &v).empty());
    EXPECT_EQ(v, RequestAuth::kBadMac);
    auto unknown = std::vector<std::byte>(req.view().begin(), req.view().end());
    unknown[51] = std::byte{99};
    EXPECT_TRUE(answer(unknown, &v).empty());
    EXPECT_EQ(v, RequestAuth::kUnknownKey);
    // Client: a plain reply, a reply by another key, a crypto-NAK.
    auto plain = header(proto::Mode::kServer);
    EXPECT_EQ(client->open(plain), AuthFailure::kUnauthenticated);
    auto other_client = make_client_authenticator({AuthKind::kKey, 3, {}}, {keys, {}});
    RequestBuffer r3;
    std::copy(h.begin(), h.end(), r3.bytes.begin());
    r3.size = 48;
    ASSERT_EQ(other_client->seal(r3, rng), AuthFailure::kNone);
    auto by3 = answer(r3.view(), &v);
    EXPECT_EQ(client->open(by3), AuthFailure::kWrongKey);
    auto nak = plain;
    nak.resize(52);
    EXPECT_EQ(client->open(nak), AuthFailure::kCryptoNak);
    // A key id missing from the file: nothing is sent.
    auto missing = make_client_authenticator({AuthKind::kKey, 42, {}}, {keys, {}});
    RequestBuffer r42;
    r42.size = 48;
    EXPECT_EQ(missing->seal(r42, rng), AuthFailure::kNoKey);
    // A plain source refuses an authenticated reply; NTS is refused until it is implemented.
    auto none = make_client_authenticator({}, {keys, {}});
    EXPECT_EQ(none->open(plain), AuthFailure::kNone);
    EXPECT_EQ(none->open(by3), AuthFailure::kUnexpectedAuth);
    auto nts = make_client_authenticator({AuthKind::kNts, 0, {}}, {keys, {}});
    EXPECT_NE(nts->seal(r42, rng), AuthFailure::kNone);
}

TEST(ServerAuthNoKeys, EveryMacIsAnUnknownKey) {
    ServerAuth server(nullptr);
    auto req = header(proto::Mode::kClient);
    req.resize(48 + 20);
    req[51] = std::byte{1};
    auto p = proto::parse(req);
    ReplySeal seal;
    EXPECT_EQ(server.check_request(req, *p, &seal), RequestAuth::kUnknownKey);
    EXPECT_EQ(seal.kind, AuthKind::kNone);
}

}  // namespace
}  // namespace ntplite::auth
