// NTS-KE records (RFC 8915 section 4): framing, request and response parsing, writers.
#include "proto/nts/ke_record.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ntplite::proto::nts {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v) out.push_back(std::byte(b));
    return out;
}

// A chrony-shaped request: Next Protocol NTPv4, AEAD 15 (critical), End of Message.
const auto kRequest = bytes({0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 2, 0, 15, 0x80, 0, 0, 0});

TEST(KeFraming, CompleteIncompleteAndBounded) {
    EXPECT_EQ(message_length(kRequest).value(), kRequest.size());
    for (std::size_t n = 0; n < kRequest.size(); ++n)
        EXPECT_EQ(message_length(std::span(kRequest).first(n)).error(), FramingError::kIncomplete)
            << n;
    auto trailing = kRequest;
    trailing.push_back(std::byte{0});
    EXPECT_EQ(message_length(trailing).error(), FramingError::kTrailing);
    // End of Message must be critical and empty.
    EXPECT_EQ(message_length(bytes({0, 0, 0, 0})).error(), FramingError::kBadEnd);
    EXPECT_EQ(message_length(bytes({0x80, 0, 0, 1, 0})).error(), FramingError::kBadEnd);
    // A record announcing a body past the message limit.
    EXPECT_EQ(message_length(bytes({0, 5, 0xFF, 0xFF})).error(), FramingError::kTooLong);
    std::vector<std::byte> big(kKeMaxMessage, std::byte{0});
    for (std::size_t i = 0; i + 4 <= big.size(); i += 4) big[i + 1] = std::byte{9};
    EXPECT_EQ(message_length(big).error(), FramingError::kTooLong);
}

TEST(KeRequest, ChronyShapedRequestParses) {
    const auto r = parse_request(kRequest);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->ntpv4);
    ASSERT_EQ(r->aead_count, 1u);
    EXPECT_EQ(r->aeads[0], kAeadAesSivCmac256);
}

TEST(KeRequest, RefusalsNameTheRule) {
    // Unknown critical record -> Unrecognized Critical Record error code.
    auto r = parse_request(
        bytes({0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 2, 0, 15, 0xC0, 0x10, 0, 0, 0x80, 0, 0, 0}));
    EXPECT_EQ(r.error(), KeRequestError::kUnrecognizedCritical);
    EXPECT_EQ(error_code_for(r.error()), KeErrorCode::kUnrecognizedCritical);
    // Unknown non-critical record is ignored.
    EXPECT_TRUE(parse_request(
        bytes({0x80, 1, 0, 2, 0, 0, 0x40, 0x10, 0, 1, 7, 0x80, 4, 0, 2, 0, 15, 0x80, 0, 0, 0})));
    EXPECT_EQ(parse_request(bytes({0x80, 4, 0, 2, 0, 15, 0x80, 0, 0, 0})).error(),
              KeRequestError::kMissingNextProtocol);
    EXPECT_EQ(parse_request(bytes({0x80, 1, 0, 2, 0, 0, 0x80, 0, 0, 0})).error(),
              KeRequestError::kMissingAead);
    EXPECT_EQ(parse_request(bytes({0x80, 1,    0, 2, 0, 0, 0x80, 1,    0, 2, 0,
                                   0,    0x80, 4, 0, 2, 0, 15,   0x80, 0, 0, 0}))
                  .error(),
              KeRequestError::kDuplicateRecord);
    EXPECT_EQ(parse_request(bytes({0x80, 1, 0, 1, 0, 0x80, 4, 0, 2, 0, 15, 0x80, 0, 0, 0})).error(),
              KeRequestError::kMalformed);
    EXPECT_EQ(parse_request(
                  bytes({0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 2, 0, 15, 0, 5, 0, 1, 9, 0x80, 0, 0, 0}))
                  .error(),
              KeRequestError::kResponseRecord);
    EXPECT_EQ(parse_request(bytes({0x80, 1, 0, 2, 0, 0})).error(), KeRequestError::kMalformed);
}

TEST(KeResponse, RoundTripWithCookiesServerAndPort) {
    std::array<std::byte, 100> c1{}, c2{};
    c1.fill(std::byte{1});
    c2.fill(std::byte{2});
    const std::span<const std::byte> cookies[] = {c1, c2};
    std::array<std::byte, 1024> buf{};
    const std::size_t n =
        write_response(buf, kAeadAesSivCmac256, cookies, "127.0.0.1", uint16_t{11123});
    ASSERT_GT(n, 0u);
    ASSERT_EQ(message_length(std::span(buf).first(n)).value(), n);
    KeResponse resp;
    const uint16_t offered[] = {kAeadAesSivCmac512, kAeadAesSivCmac256};
    ASSERT_TRUE(parse_response(std::span(buf).first(n), offered, resp));
    EXPECT_EQ(resp.aead, kAeadAesSivCmac256);
    ASSERT_EQ(resp.cookie_count, 2u);
    EXPECT_EQ(resp.cookie_sizes[1], 100u);
    EXPECT_EQ(resp.cookies[1][99], std::byte{2});
    EXPECT_EQ(resp.server_name(), "127.0.0.1");
    EXPECT_EQ(resp.port, 11123);
    // An AEAD we did not offer is refused.
    const uint16_t only512[] = {kAeadAesSivCmac512};
    EXPECT_EQ(parse_response(std::span(buf).first(n), only512, resp).error(),
              KeResponseError::kBadAead);
}

TEST(KeResponse, ErrorRecordAndMissingCookies) {
    std::array<std::byte, 64> buf{};
    const std::size_t n = write_error(buf, KeErrorCode::kBadRequest);
    KeResponse resp;
    uint16_t code = 99;
    const uint16_t offered[] = {kAeadAesSivCmac256};
    EXPECT_EQ(parse_response(std::span(buf).first(n), offered, resp, &code).error(),
              KeResponseError::kServerError);
    EXPECT_EQ(code, 1);
    const std::size_t m = write_response(buf, kAeadAesSivCmac256, {}, "", std::nullopt);
    EXPECT_EQ(parse_response(std::span(buf).first(m), offered, resp).error(),
              KeResponseError::kNoCookies);
}

TEST(KeResponse, CookiesBeyondThePoolAreDropped) {
    std::array<std::byte, 40> c{};
    std::vector<std::span<const std::byte>> many(10, std::span<const std::byte>(c));
    std::array<std::byte, 2048> buf{};
    const std::size_t n = write_response(buf, kAeadAesSivCmac256, many, "", std::nullopt);
    KeResponse resp;
    const uint16_t offered[] = {kAeadAesSivCmac256};
    ASSERT_TRUE(parse_response(std::span(buf).first(n), offered, resp));
    EXPECT_EQ(resp.cookie_count, kKeMaxCookies);
    EXPECT_EQ(resp.cookies_dropped, 2u);
}

TEST(KeWriter, RefusesWhatDoesNotFit) {
    std::array<std::byte, 10> small{};
    const uint16_t aeads[] = {kAeadAesSivCmac256};
    EXPECT_EQ(write_request(small, aeads), 0u);
    std::array<std::byte, 16> exact{};
    EXPECT_EQ(write_request(exact, aeads), 16u);
    EXPECT_TRUE(std::equal(exact.begin(), exact.end(), kRequest.begin()));
}

}  // namespace
}  // namespace ntplite::proto::nts
