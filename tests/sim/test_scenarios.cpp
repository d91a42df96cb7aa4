// The scenarios of issues 4 and 11 beyond the reference, each over several seeds, on the
// shipped defaults. Criteria that differ from the reference ones are stated next to each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/sim/scenarios.hpp"

namespace ntplite::sim {
namespace {

int64_t requests_between(const RunMetrics& m, std::size_t server, int64_t from_ns, int64_t to_ns) {
    const auto& t = m.request_times_ns[server];
    return std::count_if(t.begin(), t.end(), [&](int64_t x) { return x >= from_ns && x < to_ns; });
}

TEST(SimScenarios, FalsetickerNeverSelected) {
    for (uint64_t seed : sim_seeds()) {
        RunMetrics m = run_scenario(falseticker_scenario(seed));
        record_row("falseticker", seed, m);
        SCOPED_TRACE(table_row("falseticker", seed, m));
        expect_reference_criteria(m);
        EXPECT_EQ(m.selected_samples[2], 0) << "the +0.1 s server was the system peer";
        ASSERT_EQ(m.final_sources.size(), 3u);
        EXPECT_EQ(m.final_sources[2].state, clock::SourceState::kFalseticker);
        EXPECT_EQ(m.steps, 0);
    }
}

// 30% of datagrams lost in each direction (51% of exchanges fail). Issue 11 targets, per seed:
// once |offset| has been < 1 ms it never reaches 1 ms again; worst |offset| after 2,000 s
// <= 150 us. The first update waits for 4 good replies (empty filter stages count as MAXDISP,
// RFC 5905): within the 12-request burst on most seeds, a few polls later when the burst is
// unlucky (up to 75 s on 10 seeds), so it is only asserted to come within 120 s.
TEST(SimScenarios, Loss30Percent) {
    for (uint64_t seed : sim_seeds()) {
        RunMetrics m = run_scenario(loss_scenario(seed));
        record_row("loss30", seed, m);
        SCOPED_TRACE(table_row("loss30", seed, m));
        EXPECT_GE(m.first_update_ns, 0);
        EXPECT_LE(m.first_update_ns, 120 * kSecond);
        EXPECT_GE(m.first_tight_ns, 0);
        EXPECT_EQ(m.excursions_after_tight, 0) << "|offset| reached 1 ms again";
        EXPECT_LE(m.rms_offset_ns, 35e3);
        EXPECT_LE(m.max_abs_offset_ns, 150e3);
        EXPECT_EQ(m.frequency_changes, 0) << "a frequency change seen in loss and noise";
        EXPECT_LE(m.rms_freq_ppm, 0.1);
        EXPECT_EQ(m.unsynchronized_served_after_sync, 0);
    }
}

// WAN: 3 servers, each way 10 ms + exponential(1 ms), poll 64..1024 s. Issue 11 targets, per
// seed: RMS <= 90 us and worst <= 800 us after 2,000 s.
TEST(SimScenarios, Wan10ms) {
    for (uint64_t seed : sim_seeds()) {
        RunMetrics m = run_scenario(wan_scenario(seed));
        record_row("wan10ms", seed, m);
        SCOPED_TRACE(table_row("wan10ms", seed, m));
        EXPECT_LE(m.first_update_ns, 10 * kSecond);
        EXPECT_LE(m.rms_offset_ns, 90e3);
        EXPECT_LE(m.max_abs_offset_ns, 800e3);
        EXPECT_EQ(m.frequency_changes, 0) << "a frequency change seen in WAN noise";
        EXPECT_LE(m.rms_freq_ppm, 0.5);
        EXPECT_EQ(m.unsynchronized_served_after_sync, 0);
    }
}

// 10 s off at start, either sign: exactly one step (backward too: no cap by default); the
// reference criteria otherwise.
TEST(SimScenarios, TenSecondStartOffsetSteppedOnceEitherWay) {
    for (int64_t sign : {1, -1}) {
        std::string name = sign > 0 ? "start+10s" : "start-10s";
        for (uint64_t seed : sim_seeds()) {
            RunMetrics m = run_scenario(start_offset_scenario(seed, sign * 10 * kSecond, name));
            record_row(name, seed, m);
            SCOPED_TRACE(table_row(name, seed, m));
            expect_reference_criteria(m);
            EXPECT_EQ(m.steps, 1);
            // Issue 11 target: stays < 1 ms from <= 5 s (the step comes with the first update,
            // ~3 s), and never reaches 1 ms again.
            EXPECT_LE(m.settle_ns, 5 * kSecond) << "|offset| stays < 1 ms from <= 5 s";
            EXPECT_EQ(m.excursions_after_tight, 0) << "|offset| reached 1 ms again";
        }
    }
}

// 1,001 s off: beyond the panic threshold (1,000 s): never adjusted, never served as
// synchronized, a panic event logged.
TEST(SimScenarios, BeyondPanicThresholdRefused) {
    for (uint64_t seed : sim_seeds()) {
        ScenarioParams p = start_offset_scenario(seed, 1001 * kSecond, "start+1001s");
        p.duration_ns = 5'000 * kSecond;
        RunMetrics m = run_scenario(p);
        record_row("start+1001s", seed, m);
        SCOPED_TRACE(table_row("start+1001s", seed, m));
        EXPECT_EQ(m.steps, 0);
        EXPECT_GT(m.max_abs_offset_ns, 1000e9) << "the clock must not have been corrected";
        bool panic = std::any_of(m.events.begin(), m.events.end(), [](const auto& e) {
            return e.kind == clock::EngineEvent::Kind::kPanic;
        });
        EXPECT_TRUE(panic);
    }
}

// Steps disabled, 10 s ahead: slewed at the maximum rate, monotonically (|offset| never grows by
// more than the noise), no overshoot beyond 1 ms, done in about 10 s / 83,333 ppm = 120 s.
TEST(SimScenarios, LargeSlewMonotonicNoOvershoot) {
    for (uint64_t seed : sim_seeds()) {
        RunMetrics m = run_scenario(slew_only_scenario(seed));
        record_row("slew-10s", seed, m);
        SCOPED_TRACE(table_row("slew-10s", seed, m));
        EXPECT_EQ(m.steps, 0);
        double expected_s = 10.0 / (clock::defaults::kMaxSlewRate_ppm * 1e-6);
        EXPECT_NEAR(static_cast<double>(m.settle_ns - m.first_update_ns) * 1e-9, expected_s, 10.0);
        // From the first clock update on (before it the 100 ppm error runs free).
        std::size_t from_s = static_cast<std::size_t>(m.first_update_ns / kSecond);
        ASSERT_LT(from_s, m.offset_at_s.size());
        double prev = std::abs(m.offset_at_s[from_s]);
        for (std::size_t s = from_s + 1; s < m.offset_at_s.size() && prev >= 1e6; ++s) {
            double off = m.offset_at_s[s];
            ASSERT_LE(std::abs(off), prev + 1e3) << "|offset| grew at " << s << " s";
            prev = std::abs(off);
        }
        double most_negative = *std::min_element(m.offset_at_s.begin(), m.offset_at_s.end());
        EXPECT_GT(most_negative, -1e6) << "overshoot beyond 1 ms";
        EXPECT_EQ(m.excursions_after_tight, 0);
        EXPECT_LE(m.rms_offset_ns, 25e3);
    }
}

// Popcorn spikes: 5% of datagrams delayed by 20 ms more. The reference criteria hold, and
// (issue 11) once |offset| has been < 1 ms it never reaches 1 ms again.
TEST(SimScenarios, DelaySpikes) {
    for (uint64_t seed : sim_seeds()) {
        RunMetrics m = run_scenario(spikes_scenario(seed));
        record_row("delay-spikes", seed, m);
        SCOPED_TRACE(table_row("delay-spikes", seed, m));
        expect_reference_criteria(m);
        EXPECT_GE(m.first_tight_ns, 0);
        EXPECT_EQ(m.excursions_after_tight, 0) << "|offset| reached 1 ms again";
    }
}

// +10 ppm frequency jump at 20,000 s (a temperature change), at a 64 s poll: 640 us of drift
// per poll. Issue 11 (no excursions): |offset| stays < 1 ms. The source holds a sample more
// than 2.5 jitters out and asks again at once; two in a row on the same side are a confirmed
// move, and the discipline measures the new frequency from the line the older points knew
// (Discipline::detect_change) instead of letting them hold the old one for many polls.
TEST(SimScenarios, FrequencyJump10ppm) {
    for (uint64_t seed : sim_seeds()) {
        RunMetrics m = run_scenario(frequency_jump_scenario(seed));
        record_row("freq-jump", seed, m);
        SCOPED_TRACE(table_row("freq-jump", seed, m));
        EXPECT_LT(m.max_abs_offset_ns, 1e6) << "|offset| reached 1 ms after the jump";
        EXPECT_GE(m.frequency_changes, 1) << "the jump was not seen as a change";
        EXPECT_LE(m.frequency_changes, 2);
        EXPECT_EQ(m.excursions_after_tight, 0) << "|offset| reached 1 ms again";
        EXPECT_LE(m.rms_offset_ns, 40e3);
        EXPECT_EQ(m.unsynchronized_served_after_sync, 0);
    }
}

// Restart with a drift file (0.05 ppm off) and 0.5 ms off, shipped poll range 64..1024 s: no
// step, |offset| < 1 ms throughout (across the poll changes). Accuracy guarded at what is
// reached on 10 seeds with margin: RMS <= 80 us, worst <= 500 us after 2,000 s.
TEST(SimScenarios, DriftFileRestart) {
    for (uint64_t seed : sim_seeds()) {
        RunMetrics m = run_scenario(drift_restart_scenario(seed));
        record_row("drift-restart", seed, m);
        SCOPED_TRACE(table_row("drift-restart", seed, m));
        EXPECT_EQ(m.steps, 0);
        EXPECT_EQ(m.settle_ns, 0) << "|offset| reached 1 ms";
        EXPECT_LE(m.rms_offset_ns, 80e3);
        EXPECT_LE(m.max_abs_offset_ns, 500e3);
        EXPECT_LE(m.rms_freq_ppm, 0.1);
    }
}

// The system peer dies at 10,000 s: the backup is the system peer within 5 polls at maxpoll
// (5 x 64 s), and the reference accuracy criteria hold over the whole run.
TEST(SimScenarios, ServerDiesFailover) {
    for (uint64_t seed : sim_seeds()) {
        RunMetrics m = run_scenario(dying_server_scenario(seed));
        record_row("server-dies", seed, m);
        SCOPED_TRACE(table_row("server-dies", seed, m));
        expect_reference_criteria(m);
        int64_t death_s = kDeathTime_ns / kSecond;
        ASSERT_GT(static_cast<int64_t>(m.peer_at_s.size()), death_s + 400);
        EXPECT_EQ(m.peer_at_s[death_s - 2], 0)
            << "primary should be the system peer before it dies";
        int64_t switched_s = -1;
        for (int64_t s = death_s; s < static_cast<int64_t>(m.peer_at_s.size()); ++s)
            if (m.peer_at_s[s] == 1) {
                switched_s = s;
                break;
            }
        ASSERT_GE(switched_s, 0) << "never failed over";
        EXPECT_LE(switched_s - death_s, 5 * 64) << "failover took " << switched_s - death_s << " s";
        for (int64_t s = switched_s; s < static_cast<int64_t>(m.peer_at_s.size()); ++s)
            ASSERT_EQ(m.peer_at_s[s], 1) << "dead primary selected again at " << s << " s";
    }
}

// Server 2 sends KoD RATE from 10,000 s: its poll backs off beyond maxpoll, it gets at most
// half the requests it got before, and the clock keeps the reference accuracy from the others.
TEST(SimScenarios, KodRateBacksOffPoll) {
    for (uint64_t seed : sim_seeds()) {
        RunMetrics m = run_scenario(kod_rate_scenario(seed));
        record_row("kod-rate", seed, m);
        SCOPED_TRACE(table_row("kod-rate", seed, m));
        expect_reference_criteria(m);
        int64_t before = requests_between(m, 2, kKodTime_ns - 10'000 * kSecond, kKodTime_ns);
        int64_t after =
            requests_between(m, 2, kKodTime_ns + 10'000 * kSecond, kKodTime_ns + 20'000 * kSecond);
        EXPECT_GT(before, 0);
        EXPECT_LE(after * 2, before)
            << "requests per 10,000 s before/after KoD: " << before << "/" << after;
        EXPECT_GT(m.final_poll_log2[2], 6);
        ASSERT_EQ(m.final_sources.size(), 3u);
        EXPECT_EQ(m.final_sources[2].last_kiss, proto::KissCode::kRate);
        int64_t kod_s = kKodTime_ns / kSecond;
        for (int64_t s = kod_s + 5 * 64; s < static_cast<int64_t>(m.peer_at_s.size()); ++s)
            ASSERT_NE(m.peer_at_s[s], 2) << "KoD source selected at " << s << " s";
    }
}

}  // namespace
}  // namespace ntplite::sim
