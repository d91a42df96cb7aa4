// NTS-KE client against the NTS-KE server, in process on loopback, with certificates made here
// (OpenSSL API, no files but temporary PEMs): the client's exported keys equal the keys the
// server sealed into the cookies; certificate, name and connection failures are told apart.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "daemon/nts/ke_client.hpp"
#include "daemon/nts/ke_server.hpp"
#include "daemon/nts/key_store.hpp"
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
    void start_server(const std::string& cert) {
        KeServerSettings s;
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
    EXPECT_EQ(server->counters().sessions.load(), 1u);
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
