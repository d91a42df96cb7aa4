// The state seqlock, and turning listen specs / socket addresses into endpoints.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "daemon/policy/server/state_publisher.hpp"
#include "daemon/server/listen.hpp"

namespace ntplite::daemon {
namespace {

TEST(StatePublisher, StartsUnsynchronizedAndPublishes) {
    StatePublisher pub;
    EXPECT_EQ(pub.read().stratum, 16);
    EXPECT_EQ(pub.read().leap, proto::LeapIndicator::kUnsynchronized);
    proto::SystemState s;
    s.stratum = 3;
    s.leap = proto::LeapIndicator::kNone;
    s.refid = 0x7f000001;
    s.reference_time = proto::NtpTimestamp{12345};
    s.root_dispersion = proto::NtpShort{77};
    pub.publish(s);
    auto r = pub.read();
    EXPECT_EQ(r.stratum, 3);
    EXPECT_EQ(r.refid, 0x7f000001u);
    EXPECT_EQ(r.reference_time.raw, 12345u);
    EXPECT_EQ(r.root_dispersion.raw, 77u);
    EXPECT_EQ(pub.version(), 2u);
}

TEST(StatePublisher, ReadersNeverSeeATornSnapshot) {
    // The writer keeps every field derived from one counter; a torn read would mix two.
    StatePublisher pub;
    std::atomic<bool> done{false};
    std::atomic<uint64_t> checked{0};
    std::thread writer([&] {
        // Keep writing until the reader has raced us for a while (bounded either way).
        for (uint32_t i = 1; i < 50'000'000 && checked.load() < 100'000; ++i) {
            proto::SystemState s;
            s.refid = i;
            s.root_delay = proto::NtpShort{i};
            s.root_dispersion = proto::NtpShort{~i};
            s.reference_time = proto::NtpTimestamp{uint64_t{i} << 32 | i};
            pub.publish(s);
        }
        done = true;
    });
    while (!done) {
        auto s = pub.read();
        if (s.refid == 0) continue;
        ASSERT_EQ(s.root_delay.raw, s.refid);
        ASSERT_EQ(s.root_dispersion.raw, ~s.refid);
        ASSERT_EQ(s.reference_time.raw, uint64_t{s.refid} << 32 | s.refid);
        checked.fetch_add(1);
    }
    writer.join();
    EXPECT_GT(checked.load(), 0u);
}

TEST(Listen, LiteralAddressResolvesToItself) {
    auto spec = config::parse_listen("127.0.0.1:12123");
    auto eps = resolve_listen(*spec);
    ASSERT_TRUE(eps);
    ASSERT_EQ(eps->size(), 1u);
    EXPECT_EQ((*eps)[0].to_string(), "127.0.0.1:12123");
    sockaddr_storage ss{};
    EXPECT_EQ((*eps)[0].to_sockaddr(ss), sizeof(sockaddr_in));
    EXPECT_EQ(ss.ss_family, AF_INET);
    EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port), 12123);
    EXPECT_EQ(ip_from_sockaddr(ss), (*eps)[0].address);

    auto v6 = resolve_listen(*config::parse_listen("[::1]:12124"));
    ASSERT_TRUE(v6);
    EXPECT_EQ((*v6)[0].to_sockaddr(ss), sizeof(sockaddr_in6));
    EXPECT_EQ(ss.ss_family, AF_INET6);
    EXPECT_EQ((*v6)[0].to_string(), "[::1]:12124");
}

TEST(Listen, LoopbackInterfaceHasLocalhost) {
    auto eps = resolve_listen(*config::parse_listen("lo:12125"));
    ASSERT_TRUE(eps) << eps.error();
    bool has_localhost = false;
    for (const auto& e : *eps) {
        EXPECT_EQ(e.port, 12125);
        has_localhost = has_localhost || e.address == *config::parse_ip("127.0.0.1");
    }
    EXPECT_TRUE(has_localhost);
}

TEST(Listen, UnknownInterfaceIsAnError) {
    auto eps = resolve_listen(*config::parse_listen("nosuchif0"));
    ASSERT_FALSE(eps);
    EXPECT_NE(eps.error().find("nosuchif0"), std::string::npos);
}

TEST(Listen, MappedSockaddrIsIpv4) {
    sockaddr_storage ss{};
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:127.0.0.3", &sin6->sin6_addr);
    auto a = ip_from_sockaddr(ss);
    EXPECT_TRUE(a.is_v4());
    EXPECT_EQ(a, *config::parse_ip("127.0.0.3"));
}

}  // namespace
}  // namespace ntplite::daemon
