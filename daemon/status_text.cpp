#include "daemon/status_text.hpp"

#include <fmt/format.h>

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
    if (!m.system.synchronized) return "unsynchronized";
    if (m.system.system_peer) return "synchronized";
    if (m.system.state.refid == proto::refid_from_ascii("LOCL")) return "local";
    return "holdover";
}

std::string_view system_reason_word(const MonitorSnapshot& m) {
    if (system_state_word(m) == "synchronized") return "none";
    if (m.sources.empty()) return "no-sources";
    bool any_reach = false;
    for (const SourceView& v : m.sources) any_reach = any_reach || v.snap.reach != 0;
    return any_reach ? "none-selectable" : "all-unreachable";
}

namespace {

std::string_view reason_sentence(std::string_view word) {
    if (word == "no-sources") return "no source is configured or resolved";
    if (word == "all-unreachable") return "no source is reachable";
    if (word == "none-selectable") return "no source is usable";
    if (word == "starting") return "no source has answered yet";
    if (word == "no-majority") return "the sources disagree (no majority)";
    if (word == "holdover-expired") return "the holdover ended without a usable source";
    if (word == "distance-exceeded") return "the root distance grew too large";
    if (word == "panic") return "the offset exceeds the panic threshold";
    return word;
}

}  // namespace

std::string system_state_text(const MonitorSnapshot& m) {
    const std::string_view w = system_state_word(m);
    const auto& st = m.system.state;
    if (w == "synchronized") {
        return fmt::format("synchronized to {} (stratum {})", system_peer_name(m), st.stratum);
    }
    if (w == "holdover") {
        return fmt::format("holdover at stratum {} because {}", st.stratum,
                           reason_sentence(system_reason_word(m)));
    }
    if (w == "local") return fmt::format("local fallback at stratum {}", st.stratum);
    return fmt::format("unsynchronized because {}", reason_sentence(system_reason_word(m)));
}

std::string_view source_state_word(const SourceView& v) {
    return clock::to_string(v.snap.state);
}

std::string source_reason_text(const SourceView& v) {
    const clock::SourceSnapshot& s = v.snap;
    using S = clock::SourceState;
    switch (s.state) {
        case S::kNoSample:
            return "polling, no valid reply yet";
        case S::kUnreachable:
            return "no reply to its recent polls";
        case S::kDemobilized:
            return s.last_kiss
                       ? fmt::format("kissed {}: no longer polled", proto::kiss_name(*s.last_kiss))
                       : std::string("removed");
        case S::kNoSelect:
            return "configured noselect: measured, never used";
        case S::kUnusable:
            return s.stratum >= 16 ? std::string("source is unsynchronized")
                                   : std::string("root distance too large");
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
