// ntpq-lite resync: the daemon's JSON reply read without exceptions (issue 14; {"ok": 1} or a
// string "sources" made nlohmann throw out of main before).
#include <gtest/gtest.h>

#include "tools/ntpq/control_client.hpp"

namespace ntplite::tools {
namespace {

TEST(ResyncReply, GoodAndRefused) {
    auto r = parse_resync_reply(R"({"ok": true, "sources": 3, "message": "burst started"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->sources, 3);
    EXPECT_EQ(r->message, "burst started");
    auto no = parse_resync_reply(R"({"ok": false, "error": "no sources"})");
    ASSERT_FALSE(no);
    EXPECT_EQ(no.error().code, ExitCode::kDaemonRefused);
    EXPECT_EQ(no.error().message, "resync refused: no sources");
}

TEST(ResyncReply, WrongTypesAreInvalidNotExceptions) {
    for (const char* text :
         {R"({"ok": 1})", R"({"ok": true, "sources": "x"})", R"({"ok": true, "sources": 1.5})",
          R"({"ok": false, "error": 7})", R"({"ok": true, "message": []})", "[]", "", "{", "null",
          R"({"ok": null})"}) {
        auto r = parse_resync_reply(text);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().code, ExitCode::kInvalidResponse) << text;
    }
}

}  // namespace
}  // namespace ntplite::tools
