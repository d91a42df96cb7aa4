// ntp-loadgen's NTS requests (tools/loadgen/nts_request) against the server's own NTS handler
// (proto/nts/crypto/server_handler), in-process: a request the load generator builds is accepted
// and answered, the answer passes the generator's check, and a flipped bit anywhere is caught.
#include "tools/loadgen/nts_request.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "proto/nts/crypto/server_handler.hpp"
#include "tools/loadgen/wire.hpp"

namespace ntplite::tools::loadgen {
namespace {
namespace pn = proto::nts;
using Verdict = pn::NtsServerHandler::Verdict;

pn::SessionKeys session_keys() {
    pn::SessionKeys s;
    s.aead = pn::kAeadAesSivCmac256;
    for (std::size_t i = 0; i < s.c2s.size(); ++i) {
        s.c2s[i] = std::byte(i * 7 + 1);
        s.s2c[i] = std::byte(0x80 + i);
    }
    return s;
}

uint64_t tag_of(uint32_t seq) {
    return encode_tag({0xABCDEF, 0, seq});
}

struct LoadgenNts : ::testing::Test {
    pn::KeyRing ring;
    pn::NtsServerHandler server;
    NtsCredentials creds;
    std::array<std::byte, kNtsUidSaltBytes> salt{};
    std::array<std::byte, 1024> request{}, reply{};

    void SetUp() override {
        pn::MasterKey k;
        k.id = 42;
        k.created_unix_s = 1000;
        for (std::size_t i = 0; i < k.key.size(); ++i) k.key[i] = std::byte(i + 3);
        ring.add(k);
        server.set_ring(ring);
        creds.keys = session_keys();
        // Cookies as the NTS-KE server hands them out (8, distinct nonces).
        pn::AesSiv aead;
        std::array<std::byte, pn::kMaxOurCookieSize> c{};
        std::array<std::byte, pn::kCookieNonceSize> nonce{};
        for (int i = 0; i < 8; ++i) {
            nonce[0] = std::byte(i);
            const std::size_t n = pn::make_cookie(aead, ring, nonce, creds.keys, c);
            ASSERT_GT(n, 0u);
            creds.cookies.emplace_back(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n));
        }
        for (std::size_t i = 0; i < salt.size(); ++i) salt[i] = std::byte(0x50 + i);
    }

    // The server worker's steps: check, write the reply header (origin = the request's
    // transmit), seal. Returns the reply size (0 = dropped); `verdict` gets the check's verdict.
    std::size_t serve(std::size_t req_size, Verdict* verdict = nullptr) {
        uint32_t slot = 0;
        std::size_t reply_size = 0;
        const auto v =
            server.check(std::span(request).first(req_size), reply.size(), &slot, &reply_size);
        if (verdict) *verdict = v;
        if (v != Verdict::kReply && v != Verdict::kNak) return 0;
        reply.fill(std::byte{0});
        reply[0] = std::byte{0x24};                              // v4 server
        reply[1] = std::byte{2};                                 // stratum 2
        std::memcpy(reply.data() + 24, request.data() + 40, 8);  // origin = client's transmit
        std::memcpy(reply.data() + 40, request.data() + 8, 8);   // any transmit
        const std::size_t n = server.seal(slot, reply);
        EXPECT_EQ(n, reply_size);
        return n;
    }

    // The generator's whole check of a reply: plain header (size bound, mode, origin), then NTS.
    NtsReplyKind client_check(NtsRequestCodec& codec, std::size_t n, uint64_t tag) {
        uint64_t origin = 0;
        const auto kind = classify_reply(reinterpret_cast<const unsigned char*>(reply.data()), n, 4,
                                         origin, codec.request_size());
        EXPECT_TRUE(kind == ReplyKind::kAnswer || kind == ReplyKind::kKissOfDeath);
        EXPECT_EQ(origin, tag);
        return codec.check(std::span(reply).first(n), tag, true);
    }
};

TEST_F(LoadgenNts, RequestIsAcceptedAndReplyAuthenticates) {
    NtsRequestCodec codec(creds, 0, salt);
    ASSERT_TRUE(codec.ok());
    // 48 header + unique id 36 + cookie 108 + authenticator 40: what chronyd sends with a full
    // pool.
    EXPECT_EQ(codec.request_size(), 232u);
    for (uint32_t seq = 0; seq < 20; ++seq) {  // every cookie of the round-robin, twice and more
        ASSERT_TRUE(codec.build(4, tag_of(seq), seq, request));
        Verdict v{};
        const std::size_t n = serve(codec.request_size(), &v);
        ASSERT_EQ(v, Verdict::kReply) << "seq " << seq;
        ASSERT_GT(n, pn::kNtpHeaderSize);
        EXPECT_LE(n, codec.request_size());
        EXPECT_EQ(client_check(codec, n, tag_of(seq)), NtsReplyKind::kAuthenticated);
        EXPECT_EQ(codec.check(std::span(reply).first(n), tag_of(seq), false),
                  NtsReplyKind::kUnverified);
    }
}

TEST_F(LoadgenNts, PlaceholdersGetMoreCookiesAndStillAuthenticate) {
    NtsRequestCodec codec(creds, 3, salt);
    ASSERT_TRUE(codec.ok());
    EXPECT_EQ(codec.request_size(), 232u + 3 * 108u);
    ASSERT_TRUE(codec.build(4, tag_of(5), 5, request));
    const std::size_t n = serve(codec.request_size());
    ASSERT_GT(n, 0u);
    EXPECT_LE(n, codec.request_size());
    EXPECT_GT(n, 232u);  // four cookies come back, not one
    EXPECT_EQ(client_check(codec, n, tag_of(5)), NtsReplyKind::kAuthenticated);
}

TEST_F(LoadgenNts, ReplyToAnotherRequestIsRefused) {
    NtsRequestCodec codec(creds, 0, salt);
    ASSERT_TRUE(codec.build(4, tag_of(1), 1, request));
    const std::size_t n = serve(codec.request_size());
    ASSERT_GT(n, 0u);
    EXPECT_EQ(codec.check(std::span(reply).first(n), tag_of(2), true), NtsReplyKind::kBadUniqueId);
    // Another run (other salt) has other unique ids.
    auto other_salt = salt;
    other_salt[3] ^= std::byte{1};
    NtsRequestCodec other(creds, 0, other_salt);
    EXPECT_EQ(other.check(std::span(reply).first(n), tag_of(1), true), NtsReplyKind::kBadUniqueId);
}

TEST_F(LoadgenNts, EveryFlippedBitOfTheReplyIsCaught) {
    NtsRequestCodec codec(creds, 0, salt);
    ASSERT_TRUE(codec.build(4, tag_of(9), 9, request));
    const std::size_t n = serve(codec.request_size());
    ASSERT_GT(n, 0u);
    const auto good = reply;
    for (std::size_t bit = 0; bit < n * 8; ++bit) {
        reply = good;
        reply[bit / 8] ^= std::byte(1u << (bit % 8));
        const std::size_t byte = bit / 8;
        // The origin (24..31) is how the generator finds the request: a flip there names another
        // request, whose unique id does not match.
        const uint64_t tag =
            byte >= 24 && byte < 32
                ? load_be64(reinterpret_cast<const unsigned char*>(reply.data()) + 24)
                : tag_of(9);
        const auto verdict = codec.check(std::span(reply).first(n), tag, true);
        EXPECT_NE(verdict, NtsReplyKind::kAuthenticated) << "bit " << bit;
        EXPECT_NE(verdict, NtsReplyKind::kUnverified) << "bit " << bit;
    }
    reply = good;
    EXPECT_EQ(codec.check(std::span(reply).first(n), tag_of(9), true),
              NtsReplyKind::kAuthenticated);
}

TEST_F(LoadgenNts, FlippedBitInTheRequestGetsANak) {
    NtsRequestCodec codec(creds, 0, salt);
    ASSERT_TRUE(codec.build(4, tag_of(3), 3, request));
    request[40] ^= std::byte{0x01};  // the transmit timestamp: covered by the authenticator
    Verdict v{};
    const std::size_t n = serve(codec.request_size(), &v);
    ASSERT_EQ(v, Verdict::kNak);
    ASSERT_GT(n, 0u);
    // The NAK echoes the unique id (of tag 3), its origin is the altered transmit.
    EXPECT_EQ(codec.check(std::span(reply).first(n), tag_of(3), true), NtsReplyKind::kNak);

    // A request sealed with the wrong C2S key is refused the same way.
    NtsCredentials wrong = creds;
    wrong.keys.c2s[0] ^= std::byte{0x80};
    NtsRequestCodec bad(wrong, 0, salt);
    ASSERT_TRUE(bad.build(4, tag_of(4), 4, request));
    EXPECT_GT(serve(bad.request_size(), &v), 0u);
    EXPECT_EQ(v, Verdict::kNak);
}

TEST_F(LoadgenNts, RepliesUnderTheWrongS2CKeyFailVerification) {
    NtsRequestCodec codec(creds, 0, salt);
    ASSERT_TRUE(codec.build(4, tag_of(6), 6, request));
    const std::size_t n = serve(codec.request_size());
    ASSERT_GT(n, 0u);
    NtsCredentials wrong = creds;
    wrong.keys.s2c[5] ^= std::byte{0x01};
    NtsRequestCodec checker(wrong, 0, salt);
    EXPECT_EQ(checker.check(std::span(reply).first(n), tag_of(6), true), NtsReplyKind::kBadAuth);
}

TEST_F(LoadgenNts, UnusableCredentialsAreRefused) {
    NtsCredentials none = creds;
    none.cookies.clear();
    EXPECT_FALSE(NtsRequestCodec(none, 0, salt).ok());
    NtsCredentials uneven = creds;
    uneven.cookies[1].pop_back();
    EXPECT_FALSE(NtsRequestCodec(uneven, 0, salt).ok());
    NtsCredentials unknown = creds;
    unknown.keys.aead = 99;
    EXPECT_FALSE(NtsRequestCodec(unknown, 0, salt).ok());
    EXPECT_FALSE(NtsRequestCodec(creds, 8, salt).ok());
    std::array<std::byte, 64> small{};
    NtsRequestCodec codec(creds, 0, salt);
    EXPECT_FALSE(codec.build(4, tag_of(0), 0, small));
}

}  // namespace
}  // namespace ntplite::tools::loadgen
