// Plain configuration structs for the sync core. The config/ module maps TOML onto these; the
// core only reads them. Every duration is in ns, every poll in log2 seconds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clock/defaults.hpp"
#include "config/net.hpp"
#include "proto/auth/client.hpp"

namespace ntplite::clock {

/// One upstream address (a server, or one member of a pool).
struct SourceConfig {
    std::string name;             ///< for logs and snapshots, e.g. "192.0.2.1:123"
    config::IpAddress address{};  ///< the source's address (identity; `name` is display only)
    uint16_t port = 123;          ///< the source's UDP port
    uint32_t address_refid = 0;   ///< the refid this address gives (IPv4 / hashed IPv6)
    int8_t minpoll_log2 = defaults::kMinpollLog2;  ///< shortest poll interval
    int8_t maxpoll_log2 = defaults::kMaxpollLog2;  ///< longest (KoD RATE may exceed it)
    bool iburst = false;                           ///< 4 quick requests 2 s apart at start
    bool prefer = false;                           ///< preferred among the survivors of selection
    bool noselect = false;                         ///< measured and shown, never selected
    bool pool_member = false;  ///< ask the daemon to replace it when it goes bad
    int64_t max_root_distance_ns = 1'500'000'000;  ///< responses farther from a ref clock rejected
    int unreachable_polls_before_replace = 8;      ///< pool members: polls without reply
    auth::SourceAuthConfig auth;                   ///< none, a symmetric key or NTS
};

/// Source selection (RFC 5905 section 11.2).
struct SelectionConfig {
    int min_sane_sources = defaults::kMinSources;  ///< agreeing survivors needed to synchronize
    int min_cluster_survivors = 3;                 ///< cluster pruning stops at this many
    int64_t max_distance_ns = 1'500'000'000;  ///< candidates with a larger root distance dropped
    std::vector<uint32_t> own_refids;         ///< refids of our own addresses (loop detection)
};

/// Which frequency/offset estimator the discipline uses.
enum class DisciplineAlgorithm : uint8_t {
    kRegression,  ///< weighted linear regression over the filtered samples (chrony-like)
    kPllFll,      ///< RFC 5905 section 11.3 hybrid phase/frequency-locked loop
};

/// Which measurements of the system peer reach the discipline.
enum class DisciplineFeed : uint8_t {
    kEverySample,   ///< every accepted sample, weighted by its delay over the filter minimum
    kFilterOutput,  ///< only new minimum-delay outputs of the 8-sample filter (RFC 5905)
};

/// The clock discipline.
struct DisciplineConfig {
    DisciplineAlgorithm algorithm = DisciplineAlgorithm::kRegression;
    DisciplineFeed feed = DisciplineFeed::kEverySample;
    int64_t step_threshold_ns = defaults::kStepThreshold_ns;  ///< |offset| above: step, not slew
    int step_limit_updates = defaults::kStepLimitUpdates;     ///< steps only in the first N updates
                                                              ///< (<0: always)
    int64_t panic_threshold_ns = defaults::kPanicThreshold_ns;     ///< |offset| above: refuse, log
                                                                   ///< (0: none)
    int64_t max_backward_step_ns = defaults::kMaxBackwardStep_ns;  ///< a step moves the clock
                                                                   ///< back at most this (<0: no
                                                                   ///< cap); the rest is slewed
    double max_frequency_ppm = defaults::kMaxFrequency_ppm;  ///< frequency correction clamp, +-
    int max_regression_samples = 64;  ///< regression window, samples (kRegression)
    int64_t max_regression_span_ns =
        2048'000'000'000;                     ///< regression window, time: the random walk
                                              ///< of the frequency bends longer lines...
    double assumed_wander_per_sqrt_s = 1e-9;  ///< ...unless noise this large needs a longer one
                                              ///< (frequency random walk assumed, 0 = off)
    /// kRegression: sample error assumed for a sample with the window's minimum delay; a
    /// sample's extra delay over that minimum adds (half of it) on top. 30 us is about what the
    /// best of a few exchanges over a 100 us-jitter path is still off by; with 1 us the start-up
    /// fit rested on one or two samples (a 90 ppm first frequency error on some seeds).
    int64_t regression_floor_ns = 30'000;
    /// ... or this fraction of the window's median extra delay (half of it), if larger.
    double regression_floor_fraction = 0.25;
};

/// Everything the SyncEngine needs.
struct EngineConfig {
    SelectionConfig selection;
    DisciplineConfig discipline;
    int8_t precision_log2 = -20;  ///< advertised precision of our clock
    /// Holdover after the last usable source is lost: for this long after the last clock update
    /// the server keeps answering as synchronized (root dispersion growing with time), then as
    /// unsynchronized (the daemon may then switch to its `[local]` fallback). <0: forever.
    int64_t holdover_ns = -1;
    /// [local] fallback: while no source can be followed (and holdover is over), serve the free
    /// running clock at this stratum (1..15). 0: no fallback, serve "unsynchronized".
    uint8_t local_stratum = 0;
};

}  // namespace ntplite::clock
