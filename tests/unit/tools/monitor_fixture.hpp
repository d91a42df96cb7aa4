// A MonitorSnapshot with three sources (selected, candidate, falseticker) and an in-process
// Mode6Transport that answers with the daemon's pure responder, for tests of both halves.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "daemon/policy/monitor/control_mode6.hpp"
#include "proto/refid.hpp"
#include "tools/ntpq/mode6_client.hpp"

namespace ntplite::testing {

inline constexpr int64_t kFixtureNow_ns = 1'795'345'731'000'000'000;  // 2026-11-22

inline daemon::SourceView fixture_source(clock::SourceId id, std::string addr,
                                         clock::SourceState st, int64_t offset_ns) {
    daemon::SourceView v;
    v.snap.id = id;
    v.snap.name = addr + ":14123";
    v.snap.state = st;
    v.snap.offset_ns = offset_ns;
    v.snap.delay_ns = 123'456;
    v.snap.jitter_ns = 7'890;
    v.snap.reach = 0377;
    v.snap.poll_log2 = 6;
    v.snap.stratum = 10;
    v.snap.refid = proto::refid_from_ipv4({127, 127, 1, 1});
    v.snap.has_sample = true;
    v.snap.last_sample_time_ns = kFixtureNow_ns - 20'000'000'000;
    v.snap.last_reply_time_ns = kFixtureNow_ns - 12'000'000'000;  // ntpq "when"
    v.address = addr;
    v.port = 14123;
    v.local_address = "127.0.0.1";
    v.leap = proto::LeapIndicator::kNone;
    v.precision_log2 = -20;
    v.requests_sent = 42;
    return v;
}

inline daemon::MonitorSnapshot fixture_snapshot(bool synced = true) {
    daemon::MonitorSnapshot m;
    auto& s = m.system;
    s.synchronized = synced;
    s.now_unix_ns = kFixtureNow_ns;
    s.state.leap = synced ? proto::LeapIndicator::kNone : proto::LeapIndicator::kUnsynchronized;
    s.state.stratum = synced ? 11 : 16;
    s.state.precision_log2 = -24;
    s.state.root_delay = proto::NtpShort::from_ns(123'000);
    s.state.root_dispersion = proto::NtpShort::from_ns(456'000);
    s.state.refid = synced ? proto::refid_from_ipv4({127, 0, 0, 20}) : 0;
    s.state.reference_time = proto::NtpTimestamp::from_unix_ns(kFixtureNow_ns - 30'000'000'000);
    s.offset_ns = 1'234;
    s.frequency_ppm = -12.5;
    s.poll_log2 = 6;
    s.version = "ntpd-lite test";
    s.processor = "x86_64";
    s.system = "Linux/6.1";
    if (synced) s.system_peer = 0;
    s.status.state = synced ? clock::SyncState::kSynchronized : clock::SyncState::kUnsynchronized;
    s.status.reason = synced ? clock::UnsyncReason::kNone : clock::UnsyncReason::kNoneSelectable;
    s.status.system_peer = s.system_peer;
    s.status.since_ns = kFixtureNow_ns - 600'000'000'000;
    m.sources.push_back(fixture_source(
        0, "127.0.0.20", synced ? clock::SourceState::kSelected : clock::SourceState::kNoSample,
        1'234));
    m.sources.push_back(fixture_source(1, "127.0.0.21", clock::SourceState::kCandidate, 2'345));
    m.sources.push_back(
        fixture_source(2, "127.0.0.22", clock::SourceState::kFalseticker, 5'000'000'000));
    return m;
}

/// Answers each request with daemon::answer_mode6 over `snapshot`; optionally delivers the
/// fragments in reverse order or drops some, to exercise reassembly.
class ResponderTransport final : public tools::Mode6Transport {
  public:
    explicit ResponderTransport(daemon::MonitorSnapshot m) : snapshot(std::move(m)) {}
    bool send(std::span<const std::byte> d, std::string*) override {
        ++requests;
        request_bytes += d.size();
        auto a = daemon::answer_mode6(d, snapshot);
        if (reverse) std::reverse(a.datagrams.begin(), a.datagrams.end());
        for (auto& x : a.datagrams) {
            response_bytes += x.size();
            queue.push_back(std::move(x));
        }
        if (drop_last && !queue.empty()) queue.pop_back();
        return true;
    }
    std::optional<std::vector<std::byte>> receive(std::chrono::steady_clock::time_point,
                                                  bool*) override {
        if (queue.empty()) return std::nullopt;
        auto d = std::move(queue.front());
        queue.pop_front();
        return d;
    }
    daemon::MonitorSnapshot snapshot;
    std::deque<std::vector<std::byte>> queue;
    bool reverse = false;
    bool drop_last = false;
    int requests = 0;
    std::size_t request_bytes = 0, response_bytes = 0;
};

}  // namespace ntplite::testing
