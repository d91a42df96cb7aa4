// The TOML config: a good file, and each kind of error with its line:column.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "config/config.hpp"
#include "config/os/config_file.hpp"

namespace ntplite::config {
namespace {

std::vector<ConfigError> errors_of(std::string_view text) {
    auto r = parse_config(text, "test.toml");
    EXPECT_FALSE(r) << "expected the config to be rejected:\n" << text;
    return r ? std::vector<ConfigError>{} : r.error();
}

/// The single error of `text`, as "test.toml:L:C: message".
std::string one_error(std::string_view text) {
    auto errs = errors_of(text);
    EXPECT_EQ(errs.size(), 1u);
    return errs.empty() ? "" : errs.front().to_string();
}

TEST(Config, EmptyFileGivesDefaults) {
    auto c = parse_config("", "empty.toml");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->servers.empty());  // serving is off by default
    EXPECT_FALSE(c->local.stratum);
    EXPECT_EQ(c->log.level, LogLevel::kInfo);
    EXPECT_FALSE(c->ratelimit.enabled);
    EXPECT_EQ(c->clock.mode, ClockMode::kDiscipline);
    ASSERT_EQ(c->control.allow.size(), 2u);  // localhost by default
    EXPECT_TRUE(c->control.allow[0].contains(*parse_ip("127.0.0.1")));
    EXPECT_TRUE(c->control.allow[1].contains(*parse_ip("::1")));
    EXPECT_FALSE(c->metrics.listen);
}

TEST(Config, FullGoodFile) {
    auto c = parse_config(R"(
[log]
level = "debug"

[local]
stratum = 5

[access]
allow = ["127.0.0.0/8", "::1"]
deny = ["127.0.0.3"]

[[server]]
listen = "127.0.0.1:12123"
threads = 1

[[server]]
listen = "[::1]:12124"
allow = "::1"

[[server]]
listen = "lo"

[ratelimit]
interval_log2 = 1
burst = 4
leak = 0.5
kod = false
table_size = 1024

[clock]
mode = "observe"
step_threshold = 0.5
step_limit = -1
panic_threshold = 0
max_backward_step = 2
min_sources = 2

[[source]]
mode = "server"
address = "127.0.0.1:11123"
iburst = true
minpoll = 0
maxpoll = 2
prefer = true

[[source]]
mode = "pool"
address = "pool.example.org"
max_sources = 3
noselect = true

[control]
socket = "/tmp/ntpd-lite.sock"
socket_mode = 0o600
allow = ["127.0.0.1"]

[metrics]
listen = "127.0.0.1:9975"
)",
                          "good.toml");
    ASSERT_TRUE(c) << c.error().front().to_string();
    EXPECT_EQ(c->log.level, LogLevel::kDebug);
    EXPECT_EQ(c->local.stratum, 5);
    EXPECT_EQ(c->access.allow.size(), 2u);
    EXPECT_EQ(c->access.deny.size(), 1u);
    ASSERT_EQ(c->servers.size(), 3u);
    EXPECT_EQ(c->servers[0].listen.port, 12123);
    EXPECT_EQ(c->servers[0].threads, 1u);
    EXPECT_FALSE(c->servers[0].access);
    EXPECT_EQ(&c->access_for(c->servers[0]), &c->access);
    ASSERT_TRUE(c->servers[1].access);
    EXPECT_EQ(c->access_for(c->servers[1]).allow.size(), 1u);
    EXPECT_EQ(c->servers[1].listen.address, *parse_ip("::1"));
    EXPECT_EQ(c->servers[1].threads, 0u);
    EXPECT_EQ(c->servers[2].listen.kind, ListenSpec::Kind::kInterface);
    EXPECT_EQ(c->servers[2].pos.line, 20u);
    EXPECT_TRUE(c->ratelimit.enabled);
    EXPECT_EQ(c->ratelimit.interval_log2, 1);
    EXPECT_EQ(c->ratelimit.burst, 4u);
    EXPECT_DOUBLE_EQ(c->ratelimit.leak, 0.5);
    EXPECT_FALSE(c->ratelimit.kod);
    EXPECT_EQ(c->ratelimit.table_size, 1024u);
    EXPECT_EQ(c->clock.mode, ClockMode::kObserve);
    EXPECT_DOUBLE_EQ(c->clock.step_threshold_s, 0.5);
    EXPECT_EQ(c->clock.step_limit, -1);
    EXPECT_DOUBLE_EQ(c->clock.panic_threshold_s, 0);
    EXPECT_DOUBLE_EQ(c->clock.max_backward_step_s, 2);
    EXPECT_EQ(c->clock.min_sources, 2u);
    ASSERT_EQ(c->sources.size(), 2u);
    EXPECT_EQ(c->sources[0].mode, SourceMode::kServer);
    EXPECT_EQ(c->sources[0].address.host, "127.0.0.1");
    EXPECT_EQ(c->sources[0].address.port, 11123);
    EXPECT_TRUE(c->sources[0].iburst);
    EXPECT_EQ(c->sources[0].minpoll_log2, 0);
    EXPECT_EQ(c->sources[0].maxpoll_log2, 2);
    EXPECT_TRUE(c->sources[0].prefer);
    EXPECT_EQ(c->sources[1].mode, SourceMode::kPool);
    EXPECT_EQ(c->sources[1].max_sources, 3u);
    EXPECT_TRUE(c->sources[1].noselect);
    EXPECT_EQ(c->control.socket, "/tmp/ntpd-lite.sock");
    EXPECT_EQ(c->control.socket_mode, 0600u);
    EXPECT_EQ(c->control.allow.size(), 1u);
    ASSERT_TRUE(c->metrics.listen);
    EXPECT_EQ(c->metrics.listen->port, 9975);
}

TEST(Config, SyntaxErrorNamesLineAndColumn) {
    std::string e = one_error("[local]\nstratum = = 5\n");
    EXPECT_EQ(e.rfind("test.toml:2:", 0), 0u) << e;
}

TEST(Config, UnknownKeysAreErrors) {
    EXPECT_EQ(one_error("[local]\nstratun = 5\n")
                  .rfind("test.toml:2:1: unknown key \"stratun\" in [local]", 0),
              0u);
    EXPECT_EQ(one_error("bogus = 1\n").rfind("test.toml:1:1: unknown key \"bogus\"", 0), 0u);
    EXPECT_EQ(one_error("[[server]]\nlisten = \"127.0.0.1\"\nthread = 2\n")
                  .rfind("test.toml:3:1: unknown key \"thread\" in [[server]]", 0),
              0u);
    EXPECT_EQ(one_error("[ratelimit]\nbursts = 2\n").rfind("test.toml:2:1: unknown key", 0), 0u);
    EXPECT_EQ(one_error("[[source]]\naddress = \"a\"\nibust = true\n").rfind("test.toml:3:1:", 0),
              0u);
}

TEST(Config, BadValuesNameTheValue) {
    EXPECT_EQ(one_error("[local]\nstratum = 16\n"),
              "test.toml:2:11: \"stratum\" = 16 is out of range (1..15)");
    EXPECT_EQ(one_error("[local]\nstratum = \"5\"\n"),
              "test.toml:2:11: \"stratum\" must be an integer");
    EXPECT_EQ(one_error("[log]\nlevel = \"loud\"\n")
                  .rfind("test.toml:2:9: unknown log level \"loud\"", 0),
              0u);
    EXPECT_EQ(one_error("[[server]]\nlisten = \"127.0.0.1:99999\"\n")
                  .rfind("test.toml:2:10: invalid port \"99999\"", 0),
              0u);
    EXPECT_EQ(
        one_error("[[server]]\nlisten = \"127.0.0.1\"\nthreads = -1\n").rfind("test.toml:3:11:", 0),
        0u);
    EXPECT_EQ(one_error("[access]\nallow = [\"10.0.0.0/8\", \"10.0.0.0/40\"]\n")
                  .rfind("test.toml:2:24: invalid prefix length", 0),
              0u);
    EXPECT_EQ(one_error("[ratelimit]\nleak = 1.5\n")
                  .rfind("test.toml:2:8: \"leak\" = 1.5 is out of range", 0),
              0u);
    EXPECT_EQ(one_error("[ratelimit]\nkod = 1\n"), "test.toml:2:7: \"kod\" must be true or false");
    EXPECT_EQ(
        one_error("[clock]\nmode = \"adjust\"\n").rfind("test.toml:2:8: unknown clock mode", 0),
        0u);
    EXPECT_EQ(one_error("[[source]]\naddress = \"a\"\nminpoll = 6\nmaxpoll = 4\n")
                  .rfind("test.toml:4:11: minpoll (6) is greater than maxpoll (4)", 0),
              0u);
    EXPECT_EQ(one_error("[[source]]\naddress = \"a\"\nmax_sources = 2\n")
                  .rfind("test.toml:3:15: \"max_sources\" only applies", 0),
              0u);
    EXPECT_EQ(one_error("[control]\nsocket = \"relative.sock\"\n").rfind("test.toml:2:10:", 0), 0u);
    EXPECT_EQ(one_error("[metrics]\nlisten = \"eth0:9975\"\n").rfind("test.toml:2:10:", 0), 0u);
}

TEST(Config, MissingRequiredKeysAndWrongShapes) {
    EXPECT_EQ(one_error("[[server]]\nthreads = 1\n")
                  .rfind("test.toml:1:1: [[server]] needs a \"listen\"", 0),
              0u);
    EXPECT_EQ(one_error("[[source]]\nmode = \"pool\"\n")
                  .rfind("test.toml:1:1: [[source]] needs an \"address\"", 0),
              0u);
    EXPECT_EQ(one_error("[server]\nlisten = \"127.0.0.1\"\n")
                  .rfind("test.toml:1:1: \"server\" must be written as [[server]]", 0),
              0u);
    EXPECT_EQ(one_error("local = 5\n").rfind("test.toml:1:9: \"local\" must be a table", 0), 0u);
}

TEST(Config, AllErrorsAreReportedInOneRun) {
    auto errs = errors_of("[local]\nstratum = 0\n[log]\nlevel = \"x\"\nextra = 1\n");
    ASSERT_EQ(errs.size(), 3u);
    EXPECT_EQ(errs[0].pos.line, 2u);
    EXPECT_EQ(errs[1].pos.line, 4u);  // sorted in file order
    EXPECT_EQ(errs[2].pos.line, 5u);
}

TEST(Config, LoadFile) {
    std::string path = ::testing::TempDir() + "ntplite_config_test.toml";
    {
        std::ofstream out(path);
        out << "[[server]]\nlisten = \"127.0.0.1:12123\"\nthreads = 1\n";
    }
    auto c = load_file(path);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->file, path);
    EXPECT_EQ(c->servers.size(), 1u);
    {
        std::ofstream out(path);
        out << "[[server]]\nlisten = 5\n";
    }
    auto bad = load_file(path);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().front().to_string(), path + ":2:10: \"listen\" must be a string");
    std::remove(path.c_str());

    auto missing = load_file("/nonexistent/ntpd-lite.toml");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().front().to_string(),
              "/nonexistent/ntpd-lite.toml: cannot read: No such file or directory");
}

}  // namespace
}  // namespace ntplite::config
