#include "tools/ntpq/exit_codes.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace ntplite::tools {
namespace {

TEST(ExitCodes, EachFailureHasItsDocumentedCode) {
    EXPECT_EQ(static_cast<int>(exit_code_for(SntpError::kResolveFailed)), 3);
    EXPECT_EQ(static_cast<int>(exit_code_for(SntpError::kNoAnswer)), 4);
    EXPECT_EQ(static_cast<int>(exit_code_for(SntpError::kKissOfDeath)), 5);
    EXPECT_EQ(static_cast<int>(exit_code_for(SntpError::kUnsynchronized)), 6);
    EXPECT_EQ(static_cast<int>(exit_code_for(SntpError::kInvalidResponse)), 7);
    EXPECT_EQ(static_cast<int>(exit_code_for(SntpError::kNetwork)), 1);
    EXPECT_EQ(static_cast<int>(ExitCode::kUsage), 2);
    EXPECT_EQ(static_cast<int>(ExitCode::kOk), 0);
}

TEST(ExitCodes, HelpDocumentsEveryCode) {
    std::string help(exit_codes_help());
    for (int c = 0; c <= 7; ++c) {
        EXPECT_NE(help.find("  " + std::to_string(c) + "  "), std::string::npos) << c;
    }
}

TEST(ExitCodes, TokensAreDistinct) {
    std::set<std::string_view> tokens;
    for (auto e : {SntpError::kResolveFailed, SntpError::kNoAnswer, SntpError::kKissOfDeath,
                   SntpError::kUnsynchronized, SntpError::kInvalidResponse, SntpError::kNetwork}) {
        tokens.insert(to_token(e));
    }
    EXPECT_EQ(tokens.size(), 6u);
}

TEST(ExitCodes, OverallAnyValidIsOk) {
    std::vector<SntpError> f{SntpError::kNoAnswer, SntpError::kInvalidResponse};
    EXPECT_EQ(overall_exit_code(f, 1), ExitCode::kOk);
    EXPECT_EQ(overall_exit_code({}, 3), ExitCode::kOk);
}

TEST(ExitCodes, OverallKissOfDeathWins) {
    std::vector<SntpError> f{SntpError::kKissOfDeath};
    EXPECT_EQ(overall_exit_code(f, 2), ExitCode::kKissOfDeath);
}

TEST(ExitCodes, OverallAllFailedUsesLastFailure) {
    std::vector<SntpError> f{SntpError::kNoAnswer, SntpError::kUnsynchronized};
    EXPECT_EQ(overall_exit_code(f, 0), ExitCode::kUnsynchronized);
    EXPECT_EQ(overall_exit_code({}, 0), ExitCode::kInternal);
}

}  // namespace
}  // namespace ntplite::tools
