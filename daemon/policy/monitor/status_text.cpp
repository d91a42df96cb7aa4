#include "daemon/policy/monitor/status_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "proto/refid.hpp"

namespace ntplite::daemon {

std::string utc_text(int64_t unix_ns) {
    const time_t t =
        static_cast<time_t>(unix_ns / 1'000'000'000 - (unix_ns % 1'000'000'000 < 0 ? 1 : 0));
    tm u{};
    gmtime_r(&t, &u);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", u.tm_year + 1900, u.tm_mon + 1,
                       u.tm_mday, u.tm_hour, u.tm_min, u.tm_sec);
}

std::string system_peer_name(const MonitorSnapshot& m) {
    if (!m.system.system_peer) return {};
    for (const SourceView& v : m.sources) {
        if (v.snap.id == *m.system.system_peer) return v.snap.name;
    }
    return {};
}

std::string_view system_state_word(const MonitorSnapshot& m) {
    return clock::to_string(m.system.status.state);
}

std::string_view system_reason_word(const MonitorSnapshot& m) {
    return clock::to_string(m.system.status.reason);
}

namespace {

std::string_view reason_sentence(clock::UnsyncReason r) {
    using R = clock::UnsyncReason;
    switch (r) {
        case R::kNone:
            return "none";
        case R::kStarting:
            return "no source has answered yet";
        case R::kNoSources:
            return "no source is configured or resolved";
        case R::kAllUnreachable:
            return "no source is reachable";
        case R::kNoMajority:
            return "the sources disagree (no majority)";
        case R::kNoneSelectable:
            return "no source is usable";
        case R::kDistanceExceeded:
            return "our root distance grew too large";
        case R::kPanic:
            return "the offset exceeds the panic threshold";
    }
    return "?";
}

}  // namespace

std::string system_state_text(const MonitorSnapshot& m) {
    const clock::SystemStatus& st = m.system.status;
    const uint8_t stratum = m.system.state.stratum;
    switch (st.state) {
        case clock::SyncState::kSynchronized:
            return fmt::format("synchronized to {} (stratum {})", system_peer_name(m), stratum);
        case clock::SyncState::kHoldover: {
            std::string left = st.holdover_left_ns < 0
                                   ? std::string("until the root distance is too large")
                                   : fmt::format("{} s left", st.holdover_left_ns / 1'000'000'000);
            return fmt::format("holdover since {}, {} ({})", utc_text(st.since_ns), left,
                               reason_sentence(st.reason));
        }
        case clock::SyncState::kLocal:
            return fmt::format("local fallback at stratum {} ({})", stratum,
                               reason_sentence(st.reason));
        case clock::SyncState::kUnsynchronized:
            break;
    }
    return fmt::format("unsynchronized because {}", reason_sentence(st.reason));
}

std::string_view source_state_word(const SourceView& v) {
    if (!v.unresolved_error.empty()) return "unresolved";
    return clock::to_string(v.snap.state);
}

std::string source_reason_text(const SourceView& v) {
    if (!v.unresolved_error.empty()) return "name does not resolve: " + v.unresolved_error;
    const clock::SourceSnapshot& s = v.snap;
    using S = clock::SourceState;
    switch (s.state) {
        case S::kNoSample:
            return "polling, no valid reply yet";
        case S::kUnreachable:
            return "no reply to its last 8 polls";
        case S::kDenied:
            return fmt::format("kissed {}: no longer polled",
                               s.kiss ? proto::kiss_name(*s.kiss) : std::string_view("DENY"));
        case S::kRateLimited:
            return fmt::format("kissed RATE: polled every {} s, no fresh sample",
                               int64_t{1} << std::clamp<int>(s.poll_log2, 0, 40));
        case S::kNoSelect:
            return "configured noselect: measured, never used";
        case S::kUnsynchronized:
            return "the source says it has no time (LI 3 / stratum 16)";
        case S::kTooFar:
            return fmt::format("root distance {:.1f} ms above the limit",
                               static_cast<double>(s.root_distance_ns) / 1e6);
        case S::kTimeLoop:
            return "takes its time from us (time loop)";
        case S::kFalseticker:
            return "outside the majority's interval";
        case S::kOutlier:
            return "pruned by clustering";
        case S::kCandidate:
            return "combined into the system offset";
        case S::kSelected:
            return "the system peer";
    }
    return {};
}

}  // namespace ntplite::daemon
