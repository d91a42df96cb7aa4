// The reload decision (SIGHUP): which changes are applied, which need a restart, which refuse
// the reload as a whole ([auth] keyfile and [nts] in particular).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "config/config.hpp"
#include "daemon/policy/reload/reload_plan.hpp"
#include "proto/auth/keys.hpp"

namespace ntplite::daemon {
namespace {

config::Config parse(const std::string& text) {
    auto c = config::parse_config(text, "ntpd-lite.toml");
    EXPECT_TRUE(c.has_value());
    return c ? *c : config::Config{};
}

auth::KeySet keys(const std::string& text) {
    auto k = auth::parse_key_file(text, "keys");
    EXPECT_TRUE(k.has_value());
    return k ? *k : auth::KeySet{};
}

bool has(const std::vector<std::string>& v, const std::string& needle) {
    return std::any_of(v.begin(), v.end(),
                       [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

const std::string kKeyed = R"(
[auth]
keyfile = "/etc/ntpd-lite/keys"
[[source]]
address = "192.0.2.1"
key = 2
)";

const std::string kNts = R"(
[nts]
certificate = "/etc/ntpd-lite/cert.pem"
private_key = "/etc/ntpd-lite/key.pem"
ke_listen = ["127.0.0.1:4460"]
)";

TEST(ReloadPlan, UnchangedConfigAppliesNothingAndRefusesNothing) {
    const auto a = parse(kKeyed + kNts);
    const auth::KeySet k = keys("2 AES128 HEX:000102030405060708090a0b0c0d0e0f\n");
    ReloadFacts f;
    f.keys = &k;
    const ReloadPlan p = plan_reload(a, a, f);
    EXPECT_TRUE(p.refused.empty());
    EXPECT_TRUE(p.restart.empty());
    EXPECT_TRUE(p.applied.empty());
}

TEST(ReloadPlan, ChangedKeysFileIsApplied) {
    const auto a = parse(kKeyed);
    const auth::KeySet k = keys(
        "1 AES128 HEX:000102030405060708090a0b0c0d0e0f\n"
        "2 AES128 HEX:0f0e0d0c0b0a09080706050403020100\n");
    ReloadFacts f;
    f.keys = &k;
    f.keyfile_changed = true;
    const ReloadPlan p = plan_reload(a, a, f);
    EXPECT_TRUE(p.refused.empty());
    EXPECT_TRUE(p.restart.empty());
    EXPECT_TRUE(has(p.applied, "[auth] keyfile"));
}

TEST(ReloadPlan, ChangedKeysFilePathIsAppliedNotRestart) {
    const auto a = parse(kKeyed);
    std::string moved = kKeyed;
    moved.replace(moved.find("/etc/ntpd-lite/keys"), 19, "/etc/ntpd-lite/k2");
    const auto b = parse(moved);
    const auth::KeySet k = keys("2 SHA1 HEX:0102\n");
    ReloadFacts f;
    f.keys = &k;
    f.keyfile_changed = true;
    const ReloadPlan p = plan_reload(a, b, f);
    EXPECT_TRUE(p.refused.empty());
    EXPECT_FALSE(has(p.restart, "[auth]"));
    EXPECT_TRUE(has(p.applied, "[auth] keyfile"));
    EXPECT_EQ(keep_restart_only(a, b).auth.keyfile, "/etc/ntpd-lite/k2");
}

TEST(ReloadPlan, SourceKeyMissingFromTheNewFileRefusesTheReload) {
    const auto a = parse(kKeyed);
    const auth::KeySet k = keys("1 AES128 HEX:000102030405060708090a0b0c0d0e0f\n");
    ReloadFacts f;
    f.keys = &k;
    f.keyfile_changed = true;
    const ReloadPlan p = plan_reload(a, a, f);
    ASSERT_EQ(p.refused.size(), 1u);
    EXPECT_TRUE(has(p.refused, "ntpd-lite.toml:"));
    EXPECT_TRUE(has(p.refused, "[[source]] key 2 is not in /etc/ntpd-lite/keys"));
}

TEST(ReloadPlan, NewSourceWithAnUnknownKeyRefusesTheReload) {
    const auto a = parse("[auth]\nkeyfile = \"/k\"\n");
    const auto b =
        parse("[auth]\nkeyfile = \"/k\"\n[[source]]\naddress = \"192.0.2.7\"\nkey = 9\n");
    const auth::KeySet k = keys("1 MD5 HEX:01\n");
    ReloadFacts f;
    f.keys = &k;
    EXPECT_TRUE(has(plan_reload(a, b, f).refused, "key 9 is not in /k"));
}

TEST(ReloadPlan, UnreadableOrBrokenKeysFileRefusesTheReload) {
    const auto a = parse(kKeyed);
    ReloadFacts f;
    f.keyfile_errors = {"/etc/ntpd-lite/keys:3: bad key type \"AES999\""};
    const ReloadPlan p = plan_reload(a, a, f);
    ASSERT_EQ(p.refused.size(), 1u);  // no second "key not in" message for the same cause
    EXPECT_TRUE(has(p.refused, "[auth] keyfile: /etc/ntpd-lite/keys:3: bad key type"));
}

TEST(ReloadPlan, CertificateRenewalIsApplied) {
    const auto a = parse(kNts);
    ReloadFacts f;
    f.certificate_changed = true;
    const ReloadPlan p = plan_reload(a, a, f);
    EXPECT_TRUE(p.refused.empty());
    EXPECT_TRUE(p.restart.empty());
    EXPECT_TRUE(has(p.applied, "[nts] certificate/private_key"));
}

TEST(ReloadPlan, BadNewCertificateRefusesTheReload) {
    const auto a = parse(kNts);
    ReloadFacts f;
    f.certificate_errors = {"private key /etc/ntpd-lite/key.pem does not match cert.pem"};
    EXPECT_TRUE(has(plan_reload(a, a, f).refused, "[nts] certificate: private key"));
}

TEST(ReloadPlan, NtsListenersAndKeyFileNeedARestart) {
    const auto a = parse(kNts);
    const auto b = parse(R"(
[nts]
certificate = "/etc/ntpd-lite/cert.pem"
private_key = "/etc/ntpd-lite/key.pem"
ke_listen = ["127.0.0.1:4461"]
key_file = "/var/lib/ntpd-lite/nts-keys"
key_rotation = 3600
ntp_port = 1123
ntp_server = "ntp.example.net"
)");
    const ReloadPlan p = plan_reload(a, b, ReloadFacts{});
    EXPECT_TRUE(p.refused.empty());
    EXPECT_TRUE(has(p.restart, "[nts] ke_listen"));
    EXPECT_TRUE(has(p.restart, "[nts] key_file"));
    EXPECT_TRUE(has(p.applied, "[nts] key_rotation"));
    EXPECT_TRUE(has(p.applied, "[nts] ntp_server"));
    EXPECT_TRUE(has(p.applied, "[nts] ntp_port"));
    const config::Config kept = keep_restart_only(a, b);
    ASSERT_EQ(kept.nts.ke_listen.size(), 1u);
    EXPECT_EQ(kept.nts.ke_listen[0].port, 4460);  // the running listener
    EXPECT_EQ(kept.nts.key_file, "");
    EXPECT_EQ(kept.nts.key_rotation_s, 3600.0);  // applied
    EXPECT_EQ(kept.nts.ntp_port, 1123);
}

TEST(ReloadPlan, TurningTheNtsServerOnOrOffNeedsARestart) {
    const auto off = parse("");
    const auto on = parse(kNts);
    EXPECT_TRUE(has(plan_reload(off, on, ReloadFacts{}).restart, "[nts] (added)"));
    EXPECT_TRUE(has(plan_reload(on, off, ReloadFacts{}).restart, "[nts] (removed)"));
    EXPECT_TRUE(keep_restart_only(off, on).nts.certificate.empty());
    EXPECT_EQ(keep_restart_only(on, off).nts.certificate, "/etc/ntpd-lite/cert.pem");
    // Nothing is re-loaded for a server that is not running.
    ReloadFacts f;
    f.certificate_changed = true;
    EXPECT_FALSE(has(plan_reload(off, on, f).applied, "[nts] certificate"));
}

TEST(ReloadPlan, PerSourceNtsSettingsAreSourceChangesNotRestarts) {
    const auto a = parse("[[source]]\naddress = \"192.0.2.1\"\nnts = true\n");
    const auto b = parse(
        "[[source]]\naddress = \"192.0.2.1\"\nnts = true\ntrusted_ca = \"/ca.pem\"\n"
        "ke_port = 4461\n");
    const ReloadPlan p = plan_reload(a, b, ReloadFacts{});
    EXPECT_TRUE(p.refused.empty());
    EXPECT_TRUE(p.restart.empty());
    EXPECT_EQ(keep_restart_only(a, b).sources.at(0).trusted_ca, "/ca.pem");
}

TEST(ReloadPlan, RestartOnlySettingsKeepTheirRunningValues) {
    const auto a = parse("[clock]\nmode = \"observe\"\n[daemon]\nuser = \"a\"\n");
    const auto b = parse("[clock]\nmode = \"discipline\"\n[daemon]\nuser = \"b\"\n");
    const ReloadPlan p = plan_reload(a, b, ReloadFacts{});
    EXPECT_TRUE(has(p.restart, "[clock]"));
    EXPECT_TRUE(has(p.restart, "[daemon] user"));
    EXPECT_EQ(keep_restart_only(a, b).daemon.user, "a");
}

}  // namespace
}  // namespace ntplite::daemon
