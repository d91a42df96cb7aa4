// Every RFC 5905 validity check in its passing and failing case, and check_response's order.
#include "proto/checks.hpp"

#include <gtest/gtest.h>

#include "proto/refid.hpp"

namespace ntplite::proto {
namespace {

constexpr NtpTimestamp kOurTransmit{0xEA00'0000'1234'5678};
constexpr NtpTimestamp kLastAccepted{0xE9FF'FFC0'0000'0000};
constexpr int64_t kMaxDist_ns = 1'500'000'000;

// A reply that passes every check.
Packet good_reply() {
    Packet p;
    p.leap = LeapIndicator::kNone;
    p.version = 4;
    p.mode = Mode::kServer;
    p.stratum = 2;
    p.root_delay = NtpShort{0x0000'8000};       // 0.5 s
    p.root_dispersion = NtpShort{0x0000'4000};  // 0.25 s
    p.refid = refid_from_ipv4({192, 0, 2, 1});
    p.origin = kOurTransmit;
    p.receive = NtpTimestamp{0xEA00'0000'2000'0000};
    p.transmit = NtpTimestamp{0xEA00'0000'2001'0000};
    return p;
}

TEST(Checks, GoodReplyPassesEverything) {
    EXPECT_EQ(check_response(good_reply(), kOurTransmit, kLastAccepted, kMaxDist_ns),
              CheckFailure::kNone);
}

TEST(Checks, ModeVersion) {
    Packet p = good_reply();
    EXPECT_EQ(check_mode_version(p), CheckFailure::kNone);
    p.version = 1;
    EXPECT_EQ(check_mode_version(p), CheckFailure::kNone);
    p.version = 5;
    EXPECT_EQ(check_mode_version(p), CheckFailure::kBadModeOrVersion);
    p = good_reply();
    for (Mode m : {Mode::kClient, Mode::kBroadcast, Mode::kSymmetricActive, Mode::kReserved}) {
        p.mode = m;
        EXPECT_EQ(check_mode_version(p), CheckFailure::kBadModeOrVersion);
    }
}

TEST(Checks, Duplicate) {
    Packet p = good_reply();
    EXPECT_EQ(check_duplicate(p, kLastAccepted), CheckFailure::kNone);
    EXPECT_EQ(check_duplicate(p, p.transmit), CheckFailure::kDuplicate);
    EXPECT_EQ(check_duplicate(p, NtpTimestamp{}), CheckFailure::kNone);  // nothing accepted yet
    p.transmit = NtpTimestamp{};
    EXPECT_EQ(check_duplicate(p, NtpTimestamp{}), CheckFailure::kNone);  // zero check's job
}

TEST(Checks, BogusOrigin) {
    Packet p = good_reply();
    EXPECT_EQ(check_origin(p, kOurTransmit), CheckFailure::kNone);
    EXPECT_EQ(check_origin(p, NtpTimestamp{kOurTransmit.raw + 1}), CheckFailure::kBogusOrigin);
    p.origin = NtpTimestamp{};
    EXPECT_EQ(check_origin(p, NtpTimestamp{}), CheckFailure::kBogusOrigin);  // nothing outstanding
}

TEST(Checks, ZeroTimestamps) {
    Packet p = good_reply();
    EXPECT_EQ(check_zero_timestamps(p), CheckFailure::kNone);
    p.receive = NtpTimestamp{};
    EXPECT_EQ(check_zero_timestamps(p), CheckFailure::kZeroTimestamp);
    p = good_reply();
    p.transmit = NtpTimestamp{};
    EXPECT_EQ(check_zero_timestamps(p), CheckFailure::kZeroTimestamp);
    p = good_reply();
    p.reference = NtpTimestamp{};  // reference time may be zero (never set)
    EXPECT_EQ(check_zero_timestamps(p), CheckFailure::kNone);
}

TEST(Checks, KissOfDeath) {
    Packet p = good_reply();
    EXPECT_EQ(check_kod(p), CheckFailure::kNone);
    p.stratum = 0;
    EXPECT_EQ(check_kod(p), CheckFailure::kKissOfDeath);
}

TEST(Checks, Synchronized) {
    Packet p = good_reply();
    EXPECT_EQ(check_synchronized(p), CheckFailure::kNone);
    p.stratum = 15;
    EXPECT_EQ(check_synchronized(p), CheckFailure::kNone);
    p.stratum = 16;
    EXPECT_EQ(check_synchronized(p), CheckFailure::kUnsynchronized);
    p.stratum = 0;
    EXPECT_EQ(check_synchronized(p), CheckFailure::kUnsynchronized);
    p = good_reply();
    p.leap = LeapIndicator::kUnsynchronized;
    EXPECT_EQ(check_synchronized(p), CheckFailure::kUnsynchronized);
    p.leap = LeapIndicator::kDeleteSecond;
    EXPECT_EQ(check_synchronized(p), CheckFailure::kNone);
}

TEST(Checks, RootDistance) {
    Packet p = good_reply();  // 0.5/2 + 0.25 = 0.5 s
    EXPECT_EQ(check_root_distance(p, 500'000'000), CheckFailure::kNone);
    EXPECT_EQ(check_root_distance(p, 499'999'999), CheckFailure::kExcessiveRootDistance);
    p.root_dispersion = NtpShort{0x0001'8000};  // 1.5 s -> 1.75 s
    EXPECT_EQ(check_root_distance(p, kMaxDist_ns), CheckFailure::kExcessiveRootDistance);
}

TEST(Checks, ResponseReportsKodBeforeUnsynchronizedAndZero) {
    Packet p = good_reply();
    p.stratum = 0;
    p.leap = LeapIndicator::kUnsynchronized;
    p.refid = refid_from_ascii("RATE");
    p.receive = NtpTimestamp{};
    EXPECT_EQ(check_response(p, kOurTransmit, kLastAccepted, kMaxDist_ns),
              CheckFailure::kKissOfDeath);
}

TEST(Checks, ResponseChecksOriginBeforeKod) {
    Packet p = good_reply();
    p.stratum = 0;
    p.origin = NtpTimestamp{42};
    EXPECT_EQ(check_response(p, kOurTransmit, kLastAccepted, kMaxDist_ns),
              CheckFailure::kBogusOrigin);
}

TEST(Checks, ResponseReportsEachFailure) {
    Packet p = good_reply();
    p.mode = Mode::kClient;
    EXPECT_EQ(check_response(p, kOurTransmit, kLastAccepted, kMaxDist_ns),
              CheckFailure::kBadModeOrVersion);
    p = good_reply();
    EXPECT_EQ(check_response(p, kOurTransmit, p.transmit, kMaxDist_ns), CheckFailure::kDuplicate);
    p.transmit = NtpTimestamp{};
    EXPECT_EQ(check_response(p, kOurTransmit, kLastAccepted, kMaxDist_ns),
              CheckFailure::kZeroTimestamp);
    p = good_reply();
    p.stratum = 16;
    EXPECT_EQ(check_response(p, kOurTransmit, kLastAccepted, kMaxDist_ns),
              CheckFailure::kUnsynchronized);
    p = good_reply();
    EXPECT_EQ(check_response(p, kOurTransmit, kLastAccepted, 1),
              CheckFailure::kExcessiveRootDistance);
}

TEST(Checks, FailureNames) {
    EXPECT_EQ(to_string(CheckFailure::kBogusOrigin), "bogus-origin");
    EXPECT_EQ(to_string(CheckFailure::kKissOfDeath), "kiss-of-death");
}

}  // namespace
}  // namespace ntplite::proto
