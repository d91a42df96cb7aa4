// NTS-KE client against the NTS-KE server, in process on loopback, with certificates made here
// (OpenSSL API, no files but temporary PEMs): the client's exported keys equal the keys the
// server sealed into the cookies; certificate, name and connection failures are told apart; the
// server counts every connection that gets no cookies under its kind, and a client source counts
// its key exchanges' failures by kind.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "daemon/nts/client_source.hpp"
#include "daemon/nts/ke_client.hpp"
#include "daemon/nts/ke_server.hpp"
#include "daemon/nts/key_store.hpp"
#include "proto/nts/crypto/client_shared.hpp"
#include "proto/nts/crypto/nts_packet.hpp"

namespace ntplite::daemon::nts {
namespace {

namespace fs = std::filesystem;
namespace pn = proto::nts;

struct Pki {
    fs::path dir;
    EVP_PKEY* ca_key = nullptr;
    X509* ca = nullptr;

    Pki() {
        dir = fs::temp_directory_path() / ("ntplite-nts-ke-" + std::to_string(::getpid()));
        fs::create_directories(dir);
    }
    ~Pki() {
        X509_free(ca);
        EVP_PKEY_free(ca_key);
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    static X509* make(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key,
                      const char* san, long not_after_s) {
        X509* x = X509_new();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), std::rand() & 0x7FFFFFFF);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), not_after_s);
        X509_set_pubkey(x, key);
        X509_NAME* name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
        auto add = [&](int nid, const char* value) {
            X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
            X509_add_ext(x, e, -1);
            X509_EXTENSION_free(e);
        };
        if (san) {
            add(NID_subject_alt_name, san);
            add(NID_basic_constraints, "CA:FALSE");
        } else {
            add(NID_basic_constraints, "critical,CA:TRUE");
            add(NID_key_usage, "critical,keyCertSign");
        }
        X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
        return x;
    }

    void write(const fs::path& p, X509* x) {
        FILE* f = std::fopen(p.c_str(), "w");
        PEM_write_X509(f, x);
        std::fclose(f);
    }
    void write(const fs::path& p, EVP_PKEY* k) {
        FILE* f = std::fopen(p.c_str(), "w");
        PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
        std::fclose(f);
    }

    // A CA in ca.pem, and a leaf <name>.pem/.key for `san` signed by it (or self-signed by
    // another CA when `other_ca`).
    void make_ca(const std::string& name) {
        // A second CA replaces the first as the signer of later leaves: free the old one.
        X509_free(ca);
        EVP_PKEY_free(ca_key);
        ca_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        ca = make(ca_key, "test CA", nullptr, nullptr, nullptr, 86400);
        write(dir / (name + ".pem"), ca);
    }
    void make_leaf(const std::string& name, const char* san, long not_after_s = 86400) {
        EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        X509* x = make(k, "leaf", ca, ca_key, san, not_after_s);
        write(dir / (name + ".pem"), x);
        write(dir / (name + ".key"), k);
        X509_free(x);
        EVP_PKEY_free(k);
    }
};

struct KeFixture : ::testing::Test {
    Pki pki;
    KeyRingPublisher publisher;
    pn::KeyRing ring;
    std::unique_ptr<KeServer> server;
    uint16_t port = 0;

    void SetUp() override {
        pki.make_ca("ca");
        pki.make_leaf("server", "IP:127.0.0.1,DNS:ntp.test");
        pki.make_leaf("expired", "IP:127.0.0.1", -60);
        auto r = refresh_keys("", 1'700'000'000, 86400);
        ASSERT_TRUE(r);
        ring = *r;
        publisher.publish(ring);
    }
    void start_server(const std::string& cert, std::size_t max_connections = 64,
                      std::chrono::milliseconds deadline = std::chrono::milliseconds(5000)) {
        KeServerSettings s;
        s.max_connections = max_connections;
        s.session_deadline = deadline;
        s.certificate = (pki.dir / (cert + ".pem")).string();
        s.private_key = (pki.dir / (cert + ".key")).string();
        s.listen.push_back({asio::ip::make_address("127.0.0.1"), 0});
        s.ntp_port = 11123;
        server = std::make_unique<KeServer>(s, publisher);
        auto ok = server->open();
        ASSERT_TRUE(ok) << ok.error();
        port = server->endpoints().at(0).port();
        server->start();
    }
    // One key exchange; returns the result or the failure.
    std::expected<std::unique_ptr<KeResult>, KeError> exchange(const std::string& ca,
                                                               const std::string& name) {
        asio::io_context io;
        auto ctx = make_client_context((pki.dir / (ca + ".pem")).string());
        EXPECT_TRUE(ctx);
        auto client =
            std::make_shared<KeClient>(io, std::shared_ptr<ssl::context>(std::move(*ctx)));
        std::optional<std::expected<std::unique_ptr<KeResult>, KeError>> out;
        client->start(
            {asio::ip::make_address("127.0.0.1"), port}, name,
            [&](std::expected<std::unique_ptr<KeResult>, KeError> r) { out = std::move(r); });
        io.run_for(std::chrono::seconds(15));
        EXPECT_TRUE(out.has_value());
        if (!out) return std::unexpected(KeError{KeFailure::kTimeout, "test"});
        return std::move(*out);
    }
};

// The server's counters are written on its thread: wait (bounded) until `get` reaches `want`.
template <typename Get>
uint64_t wait_for(Get get, uint64_t want) {
    for (int i = 0; i < 500 && get() < want; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return get();
}

/// A client of the KE server that misbehaves on purpose, synchronously (the server has its own
/// thread). `alpn` in wire format ("" = none offered).
struct RawClient {
    asio::io_context io;
    ssl::context ctx{ssl::context::tls_client};
    std::unique_ptr<ssl::stream<asio::ip::tcp::socket>> tls;
    asio::ip::tcp::socket tcp{io};

    void connect_tcp(uint16_t port) { tcp.connect({asio::ip::make_address("127.0.0.1"), port}); }
    // TLS 1.3 without certificate checks; true when the handshake succeeded.
    bool handshake(uint16_t port, std::string_view alpn) {
        SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION);
        if (!alpn.empty())
            SSL_CTX_set_alpn_protos(ctx.native_handle(),
                                    reinterpret_cast<const unsigned char*>(alpn.data()),
                                    static_cast<unsigned>(alpn.size()));
        tls = std::make_unique<ssl::stream<asio::ip::tcp::socket>>(io, ctx);
        tls->lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port});
        boost::system::error_code ec;
        tls->handshake(ssl::stream_base::client, ec);
        return !ec;
    }
    // Sends `bytes` over TLS and reads the answer (until the server closes).
    std::vector<std::byte> exchange(std::span<const std::byte> bytes) {
        boost::system::error_code ec;
        asio::write(*tls, asio::buffer(bytes.data(), bytes.size()), ec);
        std::vector<std::byte> in(pn::kKeMaxMessage);
        std::size_t n = 0;
        while (!ec && n < in.size())
            n += tls->read_some(asio::buffer(in.data() + n, in.size() - n), ec);
        in.resize(n);
        return in;
    }
};

TEST_F(KeFixture, CookiesCarryTheExportedKeys) {
    start_server("server");
    auto r = exchange("ca", "127.0.0.1");
    ASSERT_TRUE(r) << to_string(r.error().kind) << ": " << r.error().detail;
    const KeResult& res = **r;
    EXPECT_EQ(res.response.aead, pn::kAeadAesSivCmac256);
    ASSERT_EQ(res.response.cookie_count, 8u);
    EXPECT_EQ(res.response.port, 11123);
    pn::AesSiv aead;
    for (std::size_t i = 0; i < res.response.cookie_count; ++i) {
        auto keys = pn::open_cookie(
            aead, ring, std::span(res.response.cookies[i]).first(res.response.cookie_sizes[i]));
        ASSERT_TRUE(keys);
        EXPECT_TRUE(std::ranges::equal(keys->c2s_key(), res.keys.c2s_key()));
        EXPECT_TRUE(std::ranges::equal(keys->s2c_key(), res.keys.s2c_key()));
    }
    EXPECT_FALSE(std::ranges::equal(res.keys.c2s_key(), res.keys.s2c_key()));
    EXPECT_EQ(server->counters().sessions.get(), 1u);
}

TEST_F(KeFixture, ServerCountsAcceptedHandshakesSessionsAndCookies) {
    start_server("server");
    ASSERT_TRUE(exchange("ca", "127.0.0.1"));
    ASSERT_TRUE(exchange("ca", "127.0.0.1"));
    const KeServerCounters& c = server->counters();
    EXPECT_EQ(wait_for([&] { return c.sessions.get(); }, 2), 2u);
    EXPECT_EQ(c.accepted.get(), 2u);
    EXPECT_EQ(c.handshakes.get(), 2u);
    EXPECT_EQ(c.cookies_issued.get(), 2 * pn::kKeMaxCookies);
    EXPECT_EQ(c.totals().failures_total(), 0u);
}

TEST_F(KeFixture, ServerCountsEachFailureUnderItsKind) {
    // A short deadline for the last case; long enough that the others never reach it.
    start_server("server", 64, std::chrono::milliseconds(1000));
    const KeServerCounters& c = server->counters();
    auto failed = [&](pn::KeServerFailure k) { return c.failed(k); };
    using F = pn::KeServerFailure;
    {  // Plain TCP that sends garbage: no TLS handshake.
        RawClient r;
        r.connect_tcp(port);
        asio::write(r.tcp, asio::buffer(std::string_view("GET / HTTP/1.0\r\n\r\n")));
        EXPECT_EQ(wait_for([&] { return failed(F::kTlsHandshake); }, 1), 1u);
    }
    {  // TLS offering another protocol: the server refuses it in the handshake.
        RawClient r;
        EXPECT_FALSE(r.handshake(port, "\x08http/1.1"));
        EXPECT_EQ(wait_for([&] { return failed(F::kAlpn); }, 1), 1u);
    }
    {  // TLS offering no ALPN at all: the handshake completes, but it is not NTS-KE.
        RawClient r;
        r.handshake(port, "");
        EXPECT_EQ(wait_for([&] { return failed(F::kAlpn); }, 2), 2u);
    }
    {  // ntske/1, then records that do not parse (an unknown critical record): Error record.
        RawClient r;
        ASSERT_TRUE(r.handshake(port, "\x07ntske/1"));
        const std::byte bad[] = {std::byte{0xFF}, std::byte{0x7F}, std::byte{0}, std::byte{0},
                                 std::byte{0x80}, std::byte{0},    std::byte{0}, std::byte{0}};
        EXPECT_FALSE(r.exchange(bad).empty());  // the Error record
        EXPECT_EQ(wait_for([&] { return failed(F::kBadRequest); }, 1), 1u);
    }
    {  // A well-formed request offering only an AEAD we do not have.
        RawClient r;
        ASSERT_TRUE(r.handshake(port, "\x07ntske/1"));
        std::array<std::byte, 64> req{};
        const uint16_t unknown_aead[] = {0x7F01};
        const std::size_t n = pn::write_request(req, unknown_aead);
        ASSERT_GT(n, 0u);
        EXPECT_FALSE(r.exchange(std::span(req).first(n)).empty());
        EXPECT_EQ(wait_for([&] { return failed(F::kNoAlgorithm); }, 1), 1u);
    }
    {  // ntske/1, then the connection closes before any request.
        RawClient r;
        ASSERT_TRUE(r.handshake(port, "\x07ntske/1"));
        boost::system::error_code ec;
        r.tls->lowest_layer().close(ec);
        EXPECT_EQ(wait_for([&] { return failed(F::kIo); }, 1), 1u);
    }
    {  // A connection that says nothing: closed at the session deadline.
        RawClient r;
        r.connect_tcp(port);
        EXPECT_EQ(wait_for([&] { return failed(F::kTimeout); }, 1), 1u);
    }
    EXPECT_EQ(c.handshakes.get(), 3u);  // bad request, no algorithm, io
    EXPECT_EQ(c.sessions.get(), 0u);
    EXPECT_EQ(c.cookies_issued.get(), 0u);
    EXPECT_EQ(c.accepted.get(), 7u);
    EXPECT_EQ(failed(F::kCapReached), 0u);
    EXPECT_EQ(failed(F::kInternal), 0u);
}

TEST_F(KeFixture, ServerAtItsCapClosesTheOldestHandshakeForANewcomer) {
    start_server("server", 2);
    RawClient idle1, idle2;
    const KeServerCounters& c = server->counters();
    idle1.connect_tcp(port);  // hold both slots, never start TLS
    ASSERT_EQ(wait_for([&] { return c.accepted.get(); }, 1), 1u);
    idle2.connect_tcp(port);
    ASSERT_EQ(wait_for([&] { return c.accepted.get(); }, 2), 2u);
    auto r = exchange("ca", "127.0.0.1");  // evicts the idle one and gets its cookies
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
    EXPECT_EQ(c.failed(pn::KeServerFailure::kCapReached), 1u);
    EXPECT_EQ(wait_for([&] { return c.sessions.get(); }, 1), 1u);
}

// The client side: a source counts its key exchanges and their failures by kind, where the
// monitoring snapshot reads them (NtsClientShared).
TEST_F(KeFixture, ClientSourceCountsExchangesAndFailuresByKind) {
    start_server("server");
    asio::io_context io;
    auto run = [&](const std::string& ca, uint64_t done_before) {
        auto ctx = make_client_context((pki.dir / (ca + ".pem")).string());
        EXPECT_TRUE(ctx);
        ClientSource src(io, std::shared_ptr<ssl::context>(std::move(*ctx)),
                         asio::ip::make_address("127.0.0.1"), port, 123, "127.0.0.1", nullptr);
        src.poll();
        for (int i = 0; i < 1000; ++i) {
            io.restart();  // run_for stops the context whenever it runs out of work
            io.run_for(std::chrono::milliseconds(10));
            const auto& s = *src.shared();
            uint64_t failures = 0;
            for (uint64_t f : s.ke_failures) failures += f;
            if (s.ke_exchanges + failures > done_before) break;
        }
        return *src.shared();  // a copy: counts, state, error
    };
    const auto ok = run("ca", 0);
    EXPECT_EQ(ok.ke_exchanges, 1u);
    EXPECT_EQ(ok.ke_state, "done");
    pki.make_ca("other-ca");
    const auto wrong_ca = run("other-ca", 0);
    EXPECT_EQ(wrong_ca.ke_failures[std::size_t(KeFailure::kCertificate)], 1u);
    EXPECT_EQ(wrong_ca.ke_state, "failed");
    EXPECT_TRUE(wrong_ca.ke_error.starts_with("certificate: ")) << wrong_ca.ke_error;
    server.reset();
    const auto down = run("ca", 0);
    EXPECT_EQ(down.ke_failures[std::size_t(KeFailure::kConnect)], 1u);
    EXPECT_EQ(down.ke_exchanges, 0u);
}

TEST(NtsClientShared, EveryFailureKindHasItsOwnCounter) {
    pn::NtsClientShared s;
    for (std::size_t k = 0; k < pn::kKeFailureKinds; ++k) {
        for (std::size_t n = 0; n <= k; ++n)
            s.record_ke_failure(static_cast<KeFailure>(k), "detail");
    }
    for (std::size_t k = 0; k < pn::kKeFailureKinds; ++k) EXPECT_EQ(s.ke_failures[k], k + 1);
    EXPECT_EQ(s.ke_state, "failed");
    EXPECT_EQ(s.ke_error, "timeout: detail");
    EXPECT_EQ(to_string(KeFailure::kServerError), "nak");
}

TEST_F(KeFixture, DnsNameInTheCertificateIsAccepted) {
    start_server("server");
    // Connects to 127.0.0.1 but checks the name: nothing is resolved.
    auto r = exchange("ca", "ntp.test");
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
}

TEST_F(KeFixture, FailuresNameTheirKind) {
    start_server("server");
    pki.make_ca("other-ca");  // a different CA (also replaces the signing CA for later leaves)
    auto wrong_ca = exchange("other-ca", "127.0.0.1");
    ASSERT_FALSE(wrong_ca);
    EXPECT_EQ(wrong_ca.error().kind, KeFailure::kCertificate) << wrong_ca.error().detail;
    auto wrong_name = exchange("ca", "127.0.0.2");
    ASSERT_FALSE(wrong_name);
    EXPECT_EQ(wrong_name.error().kind, KeFailure::kCertificate) << wrong_name.error().detail;
    auto wrong_dns = exchange("ca", "other.test");
    ASSERT_FALSE(wrong_dns);
    EXPECT_EQ(wrong_dns.error().kind, KeFailure::kCertificate);
    server.reset();
    auto down = exchange("ca", "127.0.0.1");
    ASSERT_FALSE(down);
    EXPECT_EQ(down.error().kind, KeFailure::kConnect);
}

TEST_F(KeFixture, ExpiredCertificateIsRefused) {
    start_server("expired");
    auto r = exchange("ca", "127.0.0.1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, KeFailure::kCertificate);
    EXPECT_NE(r.error().detail.find("expired"), std::string::npos) << r.error().detail;
}

}  // namespace
}  // namespace ntplite::daemon::nts
