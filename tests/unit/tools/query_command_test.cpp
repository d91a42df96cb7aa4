// run_query end to end against an in-process fake server: output and exit status per outcome.
#include "tools/ntpq/query_command.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/unit/tools/fake_server.hpp"

namespace ntplite::tools {
namespace {

using namespace ntplite::tools::testing;

struct RunResult {
    ExitCode code;
    std::string out;
    std::string err;
};

RunResult run(const std::string& server, int count = 1, bool json = false, double timeout_s = 1.0) {
    QueryOptions o;
    o.server = server;
    o.count = count;
    o.interval_s = 0.1;
    o.timeout_s = timeout_s;
    o.json = json;
    std::ostringstream out, err;
    ExitCode c = run_query(o, out, err);
    return {c, out.str(), err.str()};
}

std::string at(uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

TEST(QueryCommand, OkPrintsDetails) {
    FakeServer server([](const proto::Packet& r) { return Replies{honest(r)}; });
    RunResult r = run(at(server.port()));
    EXPECT_EQ(r.code, ExitCode::kOk) << r.err;
    EXPECT_TRUE(r.err.empty());
    EXPECT_NE(r.out.find("stratum          3\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("refid            192.0.2.7\n"), std::string::npos) << r.out;
}

TEST(QueryCommand, CountPrintsChartAndSummary) {
    FakeServer server([](const proto::Packet& r) { return Replies{honest(r)}; });
    RunResult r = run("[::ffff:127.0.0.1]:" + std::to_string(server.port()), 3);
    EXPECT_EQ(r.code, ExitCode::kOk) << r.err;
    EXPECT_NE(r.out.find("3 requests, 3 valid, 0 failed"), std::string::npos) << r.out;
    std::size_t lines = 0;  // sample lines end with the chart's right edge
    for (std::size_t p = r.out.find("|\n"); p != std::string::npos; p = r.out.find("|\n", p + 1)) {
        ++lines;
    }
    EXPECT_EQ(lines, 3u) << r.out;
}

TEST(QueryCommand, KissOfDeathExits5AndStops) {
    std::atomic<int> requests{0};
    FakeServer server([&](const proto::Packet& r) {
        ++requests;
        proto::Packet kod = honest(r);
        kod.stratum = 0;
        kod.refid = proto::refid_from_ascii("RATE");
        return Replies{kod};
    });
    RunResult r = run(at(server.port()), 5, true);
    EXPECT_EQ(r.code, ExitCode::kKissOfDeath);
    EXPECT_EQ(requests.load(), 1);
    EXPECT_NE(r.err.find("RATE"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["exit_code"], 5);
    EXPECT_EQ(j["samples"].size(), 1u);
    EXPECT_EQ(j["samples"][0]["kiss_code"], "RATE");
}

TEST(QueryCommand, UnsynchronizedExits6) {
    FakeServer server([](const proto::Packet& r) {
        proto::Packet p = honest(r);
        p.leap = proto::LeapIndicator::kUnsynchronized;
        p.stratum = 16;
        return Replies{p};
    });
    RunResult r = run(at(server.port()));
    EXPECT_EQ(r.code, ExitCode::kUnsynchronized);
    EXPECT_NE(r.err.find("unsynchronized"), std::string::npos) << r.err;
}

TEST(QueryCommand, InvalidRepliesExit7) {
    FakeServer server([](const proto::Packet& r) {
        proto::Packet p = honest(r);
        p.transmit = {};  // zero transmit timestamp: fails check_response
        return Replies{p};
    });
    RunResult r = run(at(server.port()));
    EXPECT_EQ(r.code, ExitCode::kInvalidResponse);
    EXPECT_FALSE(r.err.empty());
}

TEST(QueryCommand, SilentServerExits4) {
    FakeServer server([](const proto::Packet&) { return Replies{}; });
    RunResult r = run(at(server.port()), 1, false, 0.2);
    EXPECT_EQ(r.code, ExitCode::kNoAnswer);
    EXPECT_NE(r.err.find("no answer"), std::string::npos) << r.err;
}

TEST(QueryCommand, SomeLossStillOk) {
    std::atomic<int> n{0};
    FakeServer server([&](const proto::Packet& r) {
        return ++n == 2 ? Replies{} : Replies{honest(r)};  // drop the second request
    });
    RunResult r = run(at(server.port()), 3, false, 0.2);
    EXPECT_EQ(r.code, ExitCode::kOk) << r.err;
    EXPECT_NE(r.out.find("3 requests, 2 valid, 1 failed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("error: no answer"), std::string::npos) << r.out;
}

TEST(QueryCommand, BadServerIsUsageError) {
    RunResult r = run("127.0.0.1:0");
    EXPECT_EQ(r.code, ExitCode::kUsage);
    EXPECT_NE(r.err.find("bad port"), std::string::npos) << r.err;
}

TEST(QueryCommand, HelpFooterDocumentsSchemaAndCodes) {
    std::string f = query_help_footer();
    EXPECT_NE(f.find("ntpq-lite.query/1"), std::string::npos);
    EXPECT_NE(f.find("  7  "), std::string::npos);
}

}  // namespace
}  // namespace ntplite::tools
