// [auth] keyfile and [[source]] key (issue 15), and reading the keys file from disk safely.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"
#include "config/os/key_file.hpp"

namespace ntplite::config {
namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/ntplite-keys-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(AuthConfig, KeyfileAndSourceKey) {
    auto c = parse_config(
        "[auth]\nkeyfile = \"/etc/ntpd-lite/keys\"\n"
        "[[source]]\nmode = \"server\"\naddress = \"192.0.2.1\"\nkey = 7\n"
        "[[source]]\nmode = \"server\"\naddress = \"192.0.2.2\"\n",
        "t.toml");
    ASSERT_TRUE(c) << c.error().front().to_string();
    EXPECT_EQ(c->auth.keyfile, "/etc/ntpd-lite/keys");
    EXPECT_EQ(c->sources[0].key, 7u);
    EXPECT_FALSE(c->sources[1].key);
}

TEST(AuthConfig, KeyWithoutKeyfileOrOutOfRangeIsAnError) {
    auto c = parse_config("[[source]]\nmode = \"server\"\naddress = \"192.0.2.1\"\nkey = 7\n", "t");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().front().to_string().find("needs a keys file"), std::string::npos)
        << c.error().front().to_string();
    EXPECT_EQ(c.error().front().pos.line, 4);
    for (const char* bad : {"0", "4294967296", "\"1\""}) {
        auto r = parse_config(std::string("[auth]\nkeyfile = \"/k\"\n[[source]]\nmode = "
                                          "\"server\"\naddress = \"192.0.2.1\"\nkey = ") +
                                  bad + "\n",
                              "t");
        EXPECT_FALSE(r) << bad;
    }
}

TEST(AuthConfig, NtsAndKeyOnOneSourceIsAnError) {
    auto c = parse_config(
        "[auth]\nkeyfile = \"/k\"\n"
        "[[source]]\nmode = \"server\"\naddress = \"192.0.2.1\"\nnts = true\nkey = 7\n",
        "t");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().front().to_string().find("choose one"), std::string::npos)
        << c.error().front().to_string();
    EXPECT_EQ(c.error().front().pos.line, 7);
}

TEST(KeyFileOnDisk, ReadsRegularFilesOnlyAndWarnsWhenWorldReadable) {
    TempDir d;
    const std::string path = d.path + "/keys";
    {
        std::ofstream out(path);
        out << "1 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1\n";
    }
    ::chmod(path.c_str(), 0600);
    auto k = load_key_file(path);
    ASSERT_TRUE(k) << k.error().front();
    EXPECT_EQ(k->keys->size(), 1u);
    EXPECT_TRUE(k->warnings.empty());
    ::chmod(path.c_str(), 0644);
    k = load_key_file(path);
    ASSERT_TRUE(k);
    ASSERT_EQ(k->warnings.size(), 1u);
    EXPECT_NE(k->warnings[0].find("readable by every user"), std::string::npos);

    auto dir = load_key_file(d.path);
    ASSERT_FALSE(dir);
    EXPECT_NE(dir.error().front().find("is a directory"), std::string::npos);
    EXPECT_FALSE(load_key_file("/dev/zero"));
    EXPECT_FALSE(load_key_file(d.path + "/missing"));
    {
        std::ofstream out(path);
        out << "1 AES128 HEX:7EA6\n";
    }
    auto bad = load_key_file(path);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().front(),
              path + ":1: key 1: AES128 needs a 128-bit key (32 hex digits), got 16 bits");
}

}  // namespace
}  // namespace ntplite::config
