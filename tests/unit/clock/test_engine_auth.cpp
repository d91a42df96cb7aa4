// The engine's per-source authenticator (issue 15): requests are sealed, replies opened before
// the Source sees them; a refused reply is a counted, typed drop, never a sample.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <vector>

#include "clock/engine.hpp"
#include "clock/system_clock.hpp"
#include "proto/auth/mac.hpp"
#include "proto/packet.hpp"
#include "proto/wire.hpp"

namespace ntplite::clock {
namespace {

constexpr int64_t kNovember = 1'795'000'000'000'000'000;

std::shared_ptr<const auth::KeySet> keys() {
    auto k = auth::parse_key_file("1 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n", "k");
    return std::make_shared<const auth::KeySet>(std::move(*k));
}

TEST(SyncEngineAuth, BadMacRepliesAreCountedDropsAndGoodOnesAreSamples) {
    int64_t now = kNovember;
    NullClock null([&] { return now; });
    SeededRandom rng(1);
    SyncEngine e(EngineConfig{}, null, rng);
    const auto ks = keys();
    e.set_auth_context({ks, {}});
    auth::MacEngine mac(*ks);
    SourceConfig sc;
    sc.name = "s";
    sc.minpoll_log2 = 4;
    sc.iburst = true;
    sc.auth = {auth::AuthKind::kKey, 1, {}};
    SourceId id = 0;
    EngineUpdate up = e.add_source(sc, LocalTime{now}, &id);
    int64_t timer = *up.actions.at(0).second.timer_at_ns;
    int refused = 0, accepted = 0;
    for (int i = 0; i < 8; ++i) {
        now = timer;
        up = e.on_timer(id, LocalTime{now});
        const SourceActions& a = up.actions.at(0).second;
        timer = *a.timer_at_ns;
        if (!a.send) continue;                    // the timer that only ends the iburst
        ASSERT_EQ(a.request.size, 48u + 4 + 16);  // key id + CMAC
        EXPECT_EQ(proto::wire::load_be32(a.request.view(), 48), 1u);
        auto q = proto::parse(a.request.view());
        proto::Packet p;
        p.mode = proto::Mode::kServer;
        p.stratum = 1;
        p.origin = q->transmit;
        p.receive = proto::NtpTimestamp::from_unix_ns(now + 50'000);
        p.transmit = proto::NtpTimestamp::from_unix_ns(now + 60'000);
        std::array<std::byte, 68> reply{};
        proto::serialize(p, reply);
        proto::wire::store_be32(reply, 48, 1);
        ASSERT_EQ(mac.compute(0, std::span(reply).first(48), std::span(reply).subspan(52)), 16u);
        const bool tamper = i % 2 == 1;
        if (tamper) reply[40] ^= std::byte{0x01};  // T3 moved by an attacker
        now += 110'000;
        up = e.on_response(id, reply, LocalTime{now}, LocalTime{now});
        ASSERT_TRUE(up.response);
        if (tamper) {
            EXPECT_EQ(up.response->outcome, ResponseOutcome::kAuthFailed);
            EXPECT_EQ(up.response->auth_failure, auth::AuthFailure::kBadMac);
            ++refused;
        } else {
            EXPECT_EQ(up.response->outcome, ResponseOutcome::kAccepted);
            ++accepted;
        }
    }
    EXPECT_GE(refused, 2);
    EXPECT_GE(accepted, 2);
    const auto snap = e.snapshot(LocalTime{now});
    ASSERT_EQ(snap.size(), 1u);
    EXPECT_EQ(snap[0].auth.kind, auth::AuthKind::kKey);
    EXPECT_EQ(snap[0].auth.key_id, 1u);
    EXPECT_EQ(snap[0].auth.authenticated, static_cast<uint64_t>(accepted));
    EXPECT_EQ(snap[0].auth.failures, static_cast<uint64_t>(refused));
    EXPECT_EQ(snap[0].auth.last_failure, auth::AuthFailure::kBadMac);
    EXPECT_EQ(e.source(id)->filter().count(), static_cast<std::size_t>(accepted));
}

TEST(SyncEngineAuth, MissingKeySendsNothingAndSaysWhy) {
    int64_t now = kNovember;
    NullClock null([&] { return now; });
    SeededRandom rng(1);
    SyncEngine e(EngineConfig{}, null, rng);
    e.set_auth_context({keys(), {}});
    SourceConfig sc;
    sc.name = "s";
    sc.iburst = true;
    sc.auth = {auth::AuthKind::kKey, 42, {}};
    SourceId id = 0;
    EngineUpdate up = e.add_source(sc, LocalTime{now}, &id);
    now = *up.actions.at(0).second.timer_at_ns;
    up = e.on_timer(id, LocalTime{now});
    EXPECT_FALSE(up.actions.at(0).second.send);  // never an unauthenticated request instead
    const auto snap = e.snapshot(LocalTime{now});
    EXPECT_EQ(snap[0].auth.last_failure, auth::AuthFailure::kNoKey);
    EXPECT_EQ(snap[0].auth.failures, 1u);
}

TEST(SyncEngineAuth, ReplacedKeysSealTheNextRequestAndKeepTheCounters) {
    int64_t now = kNovember;
    NullClock null([&] { return now; });
    SeededRandom rng(1);
    SyncEngine e(EngineConfig{}, null, rng);
    e.set_auth_context({keys(), {}});
    SourceConfig sc;
    sc.name = "s";
    sc.iburst = true;
    sc.auth = {auth::AuthKind::kKey, 42, {}};
    SourceId id = 0;
    EngineUpdate up = e.add_source(sc, LocalTime{now}, &id);
    now = *up.actions.at(0).second.timer_at_ns;
    up = e.on_timer(id, LocalTime{now});
    EXPECT_FALSE(up.actions.at(0).second.send);  // key 42 is not in the first file
    // A reload: the new file has key 42 (and key 1 with a new secret).
    auto next = auth::parse_key_file(
        "1 AES128 HEX:000102030405060708090a0b0c0d0e0f\n"
        "42 AES128 HEX:0f0e0d0c0b0a09080706050403020100\n",
        "k2");
    ASSERT_TRUE(next);
    const auto ks = std::make_shared<const auth::KeySet>(std::move(*next));
    e.replace_keys(ks);
    now = *up.actions.at(0).second.timer_at_ns;
    up = e.on_timer(id, LocalTime{now});
    const SourceActions& a = up.actions.at(0).second;
    ASSERT_TRUE(a.send);
    ASSERT_EQ(a.request.size, 48u + 4 + 16);
    EXPECT_EQ(proto::wire::load_be32(a.request.view(), 48), 42u);
    auth::MacEngine mac(*ks);
    EXPECT_TRUE(
        mac.verify(*mac.index_of(42), a.request.view().first(48), a.request.view().subspan(52)));
    const auto snap = e.snapshot(LocalTime{now});
    EXPECT_EQ(snap[0].auth.key_id, 42u);
    EXPECT_EQ(snap[0].auth.failures, 1u);  // the refused send before the reload is still counted
    // And back to a file without it: nothing is sent again (never unauthenticated).
    e.replace_keys(keys());
    now = *a.timer_at_ns;
    up = e.on_timer(id, LocalTime{now});
    EXPECT_FALSE(up.actions.at(0).second.send);
    EXPECT_EQ(e.snapshot(LocalTime{now})[0].auth.last_failure, auth::AuthFailure::kNoKey);
}

}  // namespace
}  // namespace ntplite::clock
