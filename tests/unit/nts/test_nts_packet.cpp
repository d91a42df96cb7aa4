// NTS on NTP packets: our client against our server through the cookie, unique identifier and
// authenticator rules of RFC 8915 section 5, plus the key ring and key file.
#include "proto/nts/crypto/nts_packet.hpp"
#include "proto/nts/crypto/server_handler.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace ntplite::proto::nts {
namespace {

MasterKey master(uint32_t id, int64_t created, int seed) {
    MasterKey k;
    k.id = id;
    k.created_unix_s = created;
    for (std::size_t i = 0; i < k.key.size(); ++i) k.key[i] = std::byte(seed + i);
    return k;
}

SessionKeys session(uint16_t aead) {
    SessionKeys s;
    s.aead = aead;
    for (std::size_t i = 0; i < s.c2s.size(); ++i) {
        s.c2s[i] = std::byte(i);
        s.s2c[i] = std::byte(0x80 + i);
    }
    return s;
}

struct Fixture : ::testing::Test {
    KeyRing ring;
    NtsServer server;
    AesSiv client_aead;
    NtsClientSession client;
    std::array<std::byte, 1024> request{}, reply{};

    void SetUp() override {
        ring.add(master(7, 1000, 3));
        client.reset(session(kAeadAesSivCmac256));
        // Cookies as the NTS-KE server hands them out.
        std::array<std::byte, kMaxOurCookieSize> c{};
        std::array<std::byte, kCookieNonceSize> nonce{};
        for (int i = 0; i < 8; ++i) {
            nonce[0] = std::byte(i);
            const std::size_t n = make_cookie(client_aead, ring, nonce, client.keys(), c);
            ASSERT_EQ(n, cookie_size(32));
            ASSERT_TRUE(client.cookies().push(std::span(c).first(n)));
        }
    }
    std::size_t make_request() {
        request.fill(std::byte{0});
        request[0] = std::byte{0x23};  // v4 client
        return client.write_request(client_aead, request);
    }
    // Server side: check + header copy + reply or NAK. Returns the reply size (0: dropped).
    std::size_t serve(std::size_t req_size, ServerVerdict* verdict = nullptr) {
        reply.fill(std::byte{0});
        reply[0] = std::byte{0x24};
        reply[1] = std::byte{2};
        ServerRequest sr;
        const auto v = server.check(ring, std::span(request).first(req_size), sr);
        if (verdict) *verdict = v;
        if (v == ServerVerdict::kAuthenticated) {
            const std::size_t n = server.write_reply(ring, sr, reply);
            EXPECT_EQ(n, NtsServer::planned_reply_size(sr, reply.size()));
            return n;
        }
        if (v == ServerVerdict::kNak || v == ServerVerdict::kBadAuthenticator)
            return NtsServer::write_nak(std::span(request).first(req_size), reply);
        return 0;
    }
};

TEST_F(Fixture, RoundTripKeepsThePoolFullAndReplyNoLargerThanRequest) {
    for (int round = 0; round < 20; ++round) {
        const std::size_t req = make_request();
        ASSERT_GT(req, 0u);
        ServerVerdict v{};
        const std::size_t rep = serve(req, &v);
        ASSERT_EQ(v, ServerVerdict::kAuthenticated);
        ASSERT_GT(rep, 0u);
        EXPECT_LE(rep, req);
        EXPECT_EQ(client.check_reply(client_aead, std::span(reply).first(rep)),
                  ClientVerdict::kAuthenticated);
        EXPECT_EQ(client.cookies_left(), kKeMaxCookies);
    }
}

TEST_F(Fixture, FirstRequestAsksForNoExtraCookiesWhenThePoolIsFull) {
    const std::size_t req = make_request();
    // header + uid + cookie (no placeholder: 7 cookies left + 1 returned = 8) + authenticator
    EXPECT_EQ(req, 48 + field_size(32) + field_size(104) + authenticator_size(16, 16));
}

TEST_F(Fixture, ReplayedReplyIsNotAcceptedTwice) {
    const std::size_t rep = serve(make_request());
    const auto r = std::span(reply).first(rep);
    EXPECT_EQ(client.check_reply(client_aead, r), ClientVerdict::kAuthenticated);
    EXPECT_EQ(client.check_reply(client_aead, r), ClientVerdict::kNotExpected);
    // An old reply for an earlier request does not match the new unique id either.
    std::vector<std::byte> old(r.begin(), r.end());
    make_request();
    EXPECT_EQ(client.check_reply(client_aead, old), ClientVerdict::kNotExpected);
}

TEST_F(Fixture, EveryBitFlipInTheAuthenticatedPartIsRefused) {
    const std::size_t req = make_request();
    const std::size_t rep = serve(req);
    ASSERT_GT(rep, 0u);
    for (std::size_t byte :
         {std::size_t{1}, std::size_t{24}, std::size_t{40}, std::size_t{47}, rep - 1, rep - 20}) {
        std::vector<std::byte> t(reply.begin(), reply.begin() + rep);
        t[byte] ^= std::byte{0x01};
        EXPECT_NE(client.check_reply(client_aead, t), ClientVerdict::kAuthenticated) << byte;
    }
    // The genuine reply is still accepted after the forgeries.
    EXPECT_EQ(client.check_reply(client_aead, std::span(reply).first(rep)),
              ClientVerdict::kAuthenticated);
}

TEST_F(Fixture, TamperedRequestGetsANak) {
    const std::size_t req = make_request();
    request[40] ^= std::byte{0x80};  // the transmit timestamp is authenticated data
    ServerVerdict v{};
    const std::size_t rep = serve(req, &v);
    EXPECT_EQ(v, ServerVerdict::kBadAuthenticator);
    ASSERT_EQ(rep, 48 + field_size(32));
    EXPECT_EQ(client.check_reply(client_aead, std::span(reply).first(rep)), ClientVerdict::kNak);
}

TEST_F(Fixture, CookieOfARotatedOutKeyGetsANakAndGraceKeysStillWork) {
    ring.add(master(8, 2000, 50));  // key 7 is now in its grace period
    std::size_t rep = serve(make_request());
    EXPECT_EQ(client.check_reply(client_aead, std::span(reply).first(rep)),
              ClientVerdict::kAuthenticated);
    ring.add(master(9, 3000, 60));
    ring.add(master(10, 4000, 70));  // key 7 falls out (3 keys kept)
    ASSERT_EQ(ring.find(7), nullptr);
    // The pool still holds cookies sealed with key 7 (the first 7 came from it).
    ServerVerdict v{};
    rep = serve(make_request(), &v);
    EXPECT_EQ(v, ServerVerdict::kNak);
    EXPECT_EQ(client.check_reply(client_aead, std::span(reply).first(rep)), ClientVerdict::kNak);
}

TEST_F(Fixture, PlainAndMalformedRequests) {
    ServerRequest sr;
    std::array<std::byte, 48> plain{};
    EXPECT_EQ(server.check(ring, plain, sr), ServerVerdict::kNotNts);
    const std::size_t req = make_request();
    // Cut in the middle of the authenticator.
    EXPECT_EQ(server.check(ring, std::span(request).first(req - 8), sr), ServerVerdict::kMalformed);
}

TEST_F(Fixture, ExhaustedPoolWritesNoRequest) {
    std::array<std::byte, kKeMaxCookieSize> c{};
    while (client.cookies().pop(c) > 0) {
    }
    EXPECT_EQ(make_request(), 0u);
}

TEST(SivCookies, Aes512SessionsRoundTrip) {
    KeyRing ring;
    ring.add(master(1, 0, 9));
    AesSiv aead;
    const auto keys = session(kAeadAesSivCmac512);
    std::array<std::byte, kMaxOurCookieSize> c{};
    std::array<std::byte, kCookieNonceSize> nonce{};
    const std::size_t n = make_cookie(aead, ring, nonce, keys, c);
    ASSERT_EQ(n, 168u);
    const auto back = open_cookie(aead, ring, std::span(c).first(n));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->aead, kAeadAesSivCmac512);
    EXPECT_TRUE(std::ranges::equal(back->s2c_key(), keys.s2c_key()));
    c[30] ^= std::byte{4};
    EXPECT_EQ(open_cookie(aead, ring, std::span(c).first(n)).error(), CookieError::kBadTag);
}

TEST(KeyFile, RoundTripAndErrors) {
    KeyRing ring;
    ring.add(master(0x10, 100, 1));
    ring.add(master(0x11, 200, 2));
    const auto text = format_key_file(ring);
    const auto back = parse_key_file(text);
    ASSERT_TRUE(back);
    ASSERT_EQ(back->size(), 2u);
    EXPECT_EQ(back->newest()->id, 0x11u);
    EXPECT_EQ(back->keys()[1].created_unix_s, 100);
    EXPECT_EQ(back->keys()[1].key, ring.keys()[1].key);
    EXPECT_EQ(parse_key_file("# c\n0001 5 abc\n").error(), 2u);
    EXPECT_FALSE(rotation_due(*back, 250, 100));
    EXPECT_TRUE(rotation_due(*back, 300, 100));
    EXPECT_TRUE(rotation_due(KeyRing{}, 0, 100));
}

TEST(Exporter, ContextBytes) {
    const auto c = exporter_context(kAeadAesSivCmac256, true);
    EXPECT_EQ(c, (std::array<std::byte, 5>{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{15},
                                           std::byte{1}}));
}

}  // namespace
}  // namespace ntplite::proto::nts

namespace ntplite::proto::nts {
namespace {

TEST_F(Fixture, WorkerHandlerChecksThenSealsAfterTheHeaderIsFinal) {
    NtsServerHandler handler;
    handler.set_ring(ring);
    const std::size_t req = make_request();
    uint32_t slot = 99;
    std::size_t size = 0;
    ASSERT_EQ(handler.check(std::span(request).first(req), reply.size(), &slot, &size),
              NtsServerHandler::Verdict::kReply);
    EXPECT_LE(size, req);
    reply.fill(std::byte{0});
    reply[0] = std::byte{0x24};
    reply[40] = std::byte{0x77};  // the transmit timestamp, patched before sealing
    ASSERT_EQ(handler.seal(slot, reply), size);
    EXPECT_EQ(client.check_reply(client_aead, std::span(reply).first(size)),
              ClientVerdict::kAuthenticated);
    // A NAK for a cookie of a key the worker does not have.
    handler.set_ring(KeyRing{});
    const std::size_t req2 = make_request();
    ASSERT_EQ(handler.check(std::span(request).first(req2), reply.size(), &slot, &size),
              NtsServerHandler::Verdict::kNak);
    ASSERT_EQ(handler.seal(slot, reply), size);
    EXPECT_EQ(client.check_reply(client_aead, std::span(reply).first(size)), ClientVerdict::kNak);
    std::array<std::byte, 48> plain{};
    EXPECT_EQ(handler.check(plain, reply.size(), &slot, &size), NtsServerHandler::Verdict::kNotNts);
}

}  // namespace
}  // namespace ntplite::proto::nts

namespace ntplite::proto::nts {
namespace {

// Reply nonces come from batched DRBG output: never the same bytes twice, also across batch
// refills, and nothing larger than a batch.
TEST(NonceSource, HandsOutDistinctNoncesAcrossBatches) {
    NonceSource src;
    std::set<std::array<std::byte, 16>> seen;
    for (std::size_t i = 0; i < 5 * NonceSource::kBatch / 16 + 3; ++i) {
        std::array<std::byte, 16> n{};
        ASSERT_TRUE(src.fill(n));
        EXPECT_TRUE(seen.insert(n).second) << i;
        std::array<std::byte, 5> odd{};  // an odd size shifts the batch boundaries
        ASSERT_TRUE(src.fill(odd));
    }
    std::array<std::byte, NonceSource::kBatch> whole{};
    EXPECT_TRUE(src.fill(whole));
    std::array<std::byte, NonceSource::kBatch + 1> too_big{};
    EXPECT_FALSE(src.fill(too_big));
}

}  // namespace
}  // namespace ntplite::proto::nts
