// MonitorSnapshot: everything monitoring reports (mode 6, the control socket's JSON, Prometheus),
// as plain values taken at one instant on the engine thread. The three outputs are pure functions
// of it, so they are unit-tested without a daemon, and they never disagree with each other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clock/engine.hpp"
#include "daemon/policy/server/counters.hpp"
#include "proto/respond.hpp"

namespace ntplite::daemon {

/// Counters of the mode 6 path (written on the engine thread or by one worker; read anywhere).
struct ControlCounterTotals {
    uint64_t answered = 0;        ///< mode 6 requests answered (normal or error response)
    uint64_t denied = 0;          ///< mode 6 requests from addresses outside [control] allow
    uint64_t malformed = 0;       ///< mode 6 datagrams that did not parse, or were responses
    uint64_t overloaded = 0;      ///< dropped because too many were waiting for the engine
    uint64_t fragments_sent = 0;  ///< response datagrams sent
};

/// The system ("association 0") as monitoring sees it.
struct SystemSnapshot {
    proto::SystemState state;    ///< what the server advertises (leap, stratum, root delay/disp...)
    clock::SystemStatus status;  ///< the core's decision: synchronized / holdover / local / ...
    bool synchronized = false;   ///< status.state == kSynchronized (following a source now)
    int64_t now_unix_ns = 0;     ///< local time of the snapshot
    int64_t offset_ns = 0;       ///< last combined offset, > 0: we were behind
    double frequency_ppm = 0.0;  ///< frequency correction, > 0: clock made faster
    int64_t sys_jitter_ns = 0;   ///< spread of the combined sources
    int64_t clk_jitter_ns = 0;   ///< residual RMS of the discipline
    double clk_wander_ppm = 0.0;                 ///< frequency stability estimate
    int8_t poll_log2 = 6;                        ///< current system poll ("tc")
    int8_t min_poll_log2 = 6;                    ///< smallest source minpoll ("mintc")
    int64_t last_update_unix_ns = 0;             ///< local time of the last clock update (0: never)
    std::optional<clock::SourceId> system_peer;  ///< the selected source (synchronized only)
    bool observe_only = false;          ///< [clock] mode = "observe": never adjusts the clock
    std::string version = "ntpd-lite";  ///< daemon name and version
    std::string processor;              ///< uname machine, e.g. "x86_64"
    std::string system;                 ///< uname sysname/release, e.g. "Linux/6.1.0"
};

/// One source plus what the mode 6 variables need beyond clock::SourceSnapshot.
struct SourceView {
    clock::SourceSnapshot snap;
    std::string address;  ///< numeric address ("192.0.2.1", "::1"), or the name if unresolved
    std::string unresolved_error;  ///< a configured name that does not resolve: the error
    uint16_t port = 123;
    std::string local_address;  ///< our address towards it ("0.0.0.0" if unknown)
    uint16_t local_port = 0;
    int8_t min_poll_log2 = 6;
    int8_t max_poll_log2 = 10;
    // From the last valid header of the source (zeros until one arrived).
    proto::LeapIndicator leap = proto::LeapIndicator::kUnsynchronized;
    int8_t precision_log2 = 0;
    int64_t root_delay_ns = 0;
    int64_t root_dispersion_ns = 0;
    proto::NtpTimestamp reference_time{};
    int64_t dispersion_ns = 0;   ///< of the filtered sample (0 if unknown)
    uint64_t requests_sent = 0;  ///< requests sent to this source (a burst shows here)
    uint32_t unreach_polls = 0;  ///< polls since the last reply
};

/// The whole picture.
struct MonitorSnapshot {
    SystemSnapshot system;
    std::vector<SourceView> sources;
    CounterTotals server;                         ///< NTP server counters summed over the workers
    ControlCounterTotals control;                 ///< mode 6 counters
    std::optional<NtsKeServerTotals> nts_server;  ///< the NTS-KE server's ([nts] certificate only)
};

/// Seconds since the newest NTS master key was made, at `now_unix_ns` (0 if in the future).
constexpr int64_t nts_key_age_s(const NtsKeServerTotals& t, int64_t now_unix_ns) {
    const int64_t age_s = now_unix_ns / 1'000'000'000 - t.key_created_unix_s;
    return age_s > 0 ? age_s : 0;
}

/// Association ID of a source in mode 6 (0 is the system, so ids start at 1).
constexpr uint16_t association_id(clock::SourceId id) {
    return static_cast<uint16_t>((id % 65535) + 1);
}

/// Fills the system and per-source parts from the sync engine at local time `now`
/// (engine thread only: SyncEngine is not thread-safe). Counters are left for the caller.
MonitorSnapshot snapshot_from_engine(const clock::SyncEngine& engine, clock::LocalTime now);

}  // namespace ntplite::daemon
