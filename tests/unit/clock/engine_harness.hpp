// A small virtual-time world for SyncEngine unit tests: fake upstream servers (offset, stratum,
// leap, silence, kiss, one-off spikes) answering every poll, and a test clock that applies
// steps and slews at once and records the kernel status and leap bits the core sets. Every
// EngineUpdate is kept so tests can assert on what the core *reported*.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "clock/engine.hpp"
#include "proto/packet.hpp"
#include "proto/refid.hpp"

namespace ntplite::clock::testing {

constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;
/// 2023-11-14 22:13:20 UTC: not a leap month.
constexpr int64_t kNovember = 1'700'000'000 * kS;
/// 2024-06-30 00:00:00 UTC: the last day of June, when a leap second may be armed.
constexpr int64_t kJune30 = 1'719'705'600 * kS;

/// Local clock = true time + offset; steps and slews take effect at once; frequency corrections
/// change the rate. Records what the core wrote.
class TestClock final : public SystemClock {
  public:
    explicit TestClock(int64_t true_start_ns, int64_t offset_ns = 0)
        : true_ns_(true_start_ns), offset_ns_(static_cast<double>(offset_ns)) {}
    void advance_true(int64_t dt_ns) {
        offset_ns_ += freq_ppm_ * 1e-6 * static_cast<double>(dt_ns);
        true_ns_ += dt_ns;
    }
    int64_t true_ns() const { return true_ns_; }
    double offset_from_true_ns() const { return offset_ns_; }

    int64_t now_ns() const override { return true_ns_ + static_cast<int64_t>(offset_ns_); }
    bool adjusts() const override { return true; }
    void adjust_frequency(double ppm) override { freq_ppm_ = ppm; }
    double frequency_ppm() const override { return freq_ppm_; }
    void slew(int64_t offset_ns) override { offset_ns_ += static_cast<double>(offset_ns); }
    int64_t pending_slew_ns() const override { return 0; }
    void step(int64_t offset_ns) override {
        offset_ns_ += static_cast<double>(offset_ns);
        ++steps;
    }
    void set_leap(proto::LeapIndicator leap) override { kernel_leap = leap; }
    void set_sync_status(int64_t maxerror_ns, int64_t, bool s) override {
        synced = s;
        maxerror = maxerror_ns;
        ++status_writes;
    }

    int steps = 0;
    bool synced = false;
    int64_t maxerror = 0;
    int status_writes = 0;
    proto::LeapIndicator kernel_leap = proto::LeapIndicator::kNone;

  private:
    int64_t true_ns_;
    double offset_ns_;
    double freq_ppm_ = 0.0;
};

/// One fake upstream server.
struct FakeServer {
    int64_t offset_ns = 0;  ///< its clock minus true time
    uint8_t stratum = 1;
    uint32_t refid = proto::refid_from_ascii("GPS");
    proto::LeapIndicator leap = proto::LeapIndicator::kNone;
    bool answering = true;
    std::optional<std::string> kiss{};  ///< answer with this KoD code instead of time
    int64_t one_way_ns = 100'000;       ///< each way
    int64_t delay_noise_ns = 0;         ///< exponential extra delay (mean), each way
    int64_t spike_next_ns = 0;          ///< added to the next reply's offset only (then reset)
};

struct Harness {
    EngineConfig cfg;
    TestClock clock;
    SeededRandom rng{3};
    std::mt19937_64 noise{42};
    std::unique_ptr<SyncEngine> engine;
    std::vector<SourceId> ids;
    std::vector<int64_t> next_timer;
    std::vector<FakeServer> servers;
    std::vector<EngineUpdate> updates;
    SystemStatus status;           ///< as last reported
    int status_reports = 0;        ///< EngineUpdate::status seen
    int peer_changes = 0;          ///< system peer changed from one source to another
    std::optional<SourceId> peer;  ///< as last reported

    explicit Harness(int64_t start_ns = kNovember, int64_t offset_ns = 0)
        : clock(start_ns, offset_ns) {}

    void make() {
        if (!engine) engine = std::make_unique<SyncEngine>(cfg, clock, rng);
    }
    LocalTime now() const { return LocalTime{clock.now_ns()}; }

    SourceId add(FakeServer srv = {}, int8_t poll_log2 = 4, bool iburst = true) {
        make();
        SourceConfig sc;
        sc.name = "192.0.2." + std::to_string(ids.size() + 1) + ":123";
        sc.address = config::IpAddress::from_v4({192, 0, 2, static_cast<uint8_t>(ids.size() + 1)});
        sc.address_refid =
            proto::refid_from_ipv4({192, 0, 2, static_cast<uint8_t>(ids.size() + 1)});
        sc.minpoll_log2 = poll_log2;
        sc.maxpoll_log2 = poll_log2;
        sc.iburst = iburst;
        SourceId id = 0;
        EngineUpdate up = engine->add_source(sc, now(), &id);
        ids.push_back(id);
        servers.push_back(srv);
        next_timer.push_back(INT64_MAX);
        record(up);
        return id;
    }

    void record(const EngineUpdate& up) {
        for (const auto& [id, a] : up.actions)
            if (a.timer_at_ns) next_timer[id] = *a.timer_at_ns;
        if (up.status) {
            ++status_reports;
            status = *up.status;
            if (status.system_peer) {
                if (peer && *peer != *status.system_peer) ++peer_changes;
                peer = status.system_peer;
            }
        }
        updates.push_back(up);
    }

    int64_t exp_noise(int64_t mean_ns) {
        if (mean_ns == 0) return 0;
        std::exponential_distribution<double> d(1.0 / static_cast<double>(mean_ns));
        return static_cast<int64_t>(d(noise));
    }

    std::array<std::byte, proto::kHeaderSize> reply(std::size_t i, const SourceActions& req,
                                                    int64_t true_rx_ns) {
        FakeServer& s = servers[i];
        auto q = proto::parse(req.request.view());
        proto::Packet p;
        p.mode = proto::Mode::kServer;
        p.leap = s.leap;
        p.stratum = s.stratum;
        p.refid = s.refid;
        p.precision_log2 = -20;
        p.root_delay = proto::NtpShort::from_ns(2 * kMs);
        p.root_dispersion = proto::NtpShort::from_ns(1 * kMs);
        p.origin = q->transmit;
        const int64_t off = s.offset_ns + s.spike_next_ns;
        s.spike_next_ns = 0;
        p.reference = proto::NtpTimestamp::from_unix_ns(true_rx_ns + off - 10 * kS);
        p.receive = proto::NtpTimestamp::from_unix_ns(true_rx_ns + off);
        p.transmit = proto::NtpTimestamp::from_unix_ns(true_rx_ns + off + 10'000);
        if (s.kiss) {
            p.stratum = 0;
            p.refid = proto::refid_from_ascii(*s.kiss);
            p.leap = proto::LeapIndicator::kUnsynchronized;
        }
        std::array<std::byte, proto::kHeaderSize> out{};
        proto::serialize(p, out);
        return out;
    }

    /// Runs polls and answers for `seconds` of local time, ticking the core once a second.
    void run(int64_t seconds) {
        const int64_t end = clock.now_ns() + seconds * kS;
        int64_t next_tick = clock.now_ns() + kS;
        for (;;) {
            std::size_t i = 0;
            for (std::size_t k = 1; k < ids.size(); ++k)
                if (next_timer[k] < next_timer[i]) i = k;
            const int64_t t_timer = ids.empty() ? INT64_MAX : next_timer[i];
            if (next_tick <= t_timer && next_tick <= end) {
                if (next_tick > clock.now_ns()) clock.advance_true(next_tick - clock.now_ns());
                record(engine->tick(now()));
                next_tick += kS;
                continue;
            }
            if (t_timer > end) {
                if (end > clock.now_ns()) clock.advance_true(end - clock.now_ns());
                break;
            }
            if (t_timer > clock.now_ns()) clock.advance_true(t_timer - clock.now_ns());
            next_timer[i] = INT64_MAX;
            EngineUpdate up = engine->on_timer(ids[i], now());
            record(up);
            SourceActions req;
            for (const auto& [id, a] : up.actions)
                if (id == ids[i] && a.send) req = a;
            if (!req.send || !servers[i].answering) continue;
            const int64_t out_ns = servers[i].one_way_ns + exp_noise(servers[i].delay_noise_ns);
            const int64_t back_ns = servers[i].one_way_ns + exp_noise(servers[i].delay_noise_ns);
            clock.advance_true(out_ns);
            auto bytes = reply(i, req, clock.true_ns());
            clock.advance_true(10'000 + back_ns);
            record(engine->on_response(ids[i], bytes, now(), now()));
        }
    }

    SourceSnapshot snap(std::size_t i) const {
        for (const auto& s : engine->snapshot(now()))
            if (s.id == ids[i]) return s;
        ADD_FAILURE() << "no source " << i;
        return {};
    }
    int count_events(EngineEvent::Kind k) const {
        int n = 0;
        for (const auto& u : updates)
            for (const auto& e : u.events) n += e.kind == k ? 1 : 0;
        return n;
    }
};

}  // namespace ntplite::clock::testing
