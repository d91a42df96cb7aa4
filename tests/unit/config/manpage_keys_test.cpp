// ntpd-lite.toml(5) documents exactly the tables and keys the parser accepts: every "## [table]"
// heading of docs/man/ntpd-lite.toml.5.scd is a top-level key, every "*key* = ..." line under
// it a key of that table, compared both ways with config::known_keys().
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "config/config.hpp"

namespace {

using KeyMap = std::map<std::string, std::set<std::string>>;

KeyMap documented_keys(const std::string& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in) << "cannot read " << path;
    KeyMap out;
    const std::regex heading(R"(^## (\[\[?([a-z_]+)\]?\])\s*$)");
    const std::regex key(R"(^\*([a-z_0-9]+)\* = )");
    std::string table;
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
        if (std::regex_match(line, m, heading)) {
            table = m[1];
            out[""].insert(m[2]);
            out[table];
        } else if (line.starts_with("# ")) {
            table.clear();  // a new top-level section of the page ends the table list
        } else if (std::regex_search(line, m, key)) {
            EXPECT_FALSE(table.empty()) << "key outside a table: " << line;
            out[table].insert(m[1]);
        }
    }
    return out;
}

KeyMap parser_keys() {
    KeyMap out;
    for (const auto& t : ntplite::config::known_keys()) {
        auto& keys = out[std::string(t.table)];
        for (auto k : t.keys) keys.insert(std::string(k));
    }
    return out;
}

TEST(ManPage, DocumentsExactlyTheParsersKeys) {
    const KeyMap doc =
        documented_keys(std::string(NTPLITE_SOURCE_DIR) + "/docs/man/ntpd-lite.toml.5.scd");
    const KeyMap parser = parser_keys();
    ASSERT_FALSE(doc.empty());
    for (const auto& [table, keys] : parser) {
        auto it = doc.find(table);
        ASSERT_NE(it, doc.end()) << "table " << (table.empty() ? "(top level)" : table)
                                 << " is not documented";
        for (const auto& k : keys)
            EXPECT_TRUE(it->second.contains(k)) << table << " " << k << " is not documented";
    }
    for (const auto& [table, keys] : doc) {
        auto it = parser.find(table);
        ASSERT_NE(it, parser.end()) << "documented table " << table << " is unknown to the parser";
        for (const auto& k : keys)
            EXPECT_TRUE(it->second.contains(k))
                << "documented key " << table << " " << k << " is unknown to the parser";
    }
}

// Every key the parser knows is accepted in a file (no list drifts from the reader code).
TEST(ManPage, KnownKeysAreAccepted) {
    auto cfg = ntplite::config::parse_config(R"(
[daemon]
user = "nobody"
pidfile = "/run/x/ntpd-lite.pid"
[control]
socket_mode = 0o600
)",
                                             "t.toml");
    ASSERT_TRUE(cfg.has_value());
    EXPECT_EQ(cfg->daemon.user, "nobody");
    EXPECT_EQ(cfg->daemon.pidfile, "/run/x/ntpd-lite.pid");
}

TEST(ManPage, DecimalSocketModeSaysWriteOctal) {
    auto cfg = ntplite::config::parse_config("[control]\nsocket_mode = 660\n", "t.toml");
    ASSERT_FALSE(cfg.has_value());
    ASSERT_EQ(cfg.error().size(), 1u);
    EXPECT_EQ(cfg.error()[0].to_string(),
              "t.toml:2:15: \"socket_mode\" = 660 is decimal; write a permission mode in TOML "
              "octal, e.g. 0o660");
}

TEST(ManPage, UnknownDaemonKeyIsAnError) {
    auto cfg = ntplite::config::parse_config("[daemon]\nusr = \"x\"\n", "t.toml");
    ASSERT_FALSE(cfg.has_value());
    EXPECT_NE(cfg.error()[0].message.find("known keys: user, pidfile"), std::string::npos);
}

}  // namespace
