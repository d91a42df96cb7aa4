#include "clock/selection.hpp"

#include "proto/saturate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace ntplite::clock {

const char* to_string(Verdict v) {
    switch (v) {
        case Verdict::kUnusable:
            return "unusable";
        case Verdict::kTimeLoop:
            return "time-loop";
        case Verdict::kFalseticker:
            return "falseticker";
        case Verdict::kOutlier:
            return "outlier";
        case Verdict::kCandidate:
            return "candidate";
        case Verdict::kSelected:
            return "selected";
    }
    return "?";
}

bool is_time_loop(const Candidate& c, std::span<const uint32_t> own_refids) {
    // Stratum 0/1 refids are ASCII codes, not addresses, so they cannot name us.
    if (c.stratum < 2) return false;
    return std::find(own_refids.begin(), own_refids.end(), c.refid) != own_refids.end();
}

int intersect(std::span<const Candidate> c, std::span<Verdict> verdicts) {
    struct Endpoint {
        int64_t value;
        int type;  // -1 lower edge, 0 midpoint, +1 upper edge
    };
    std::vector<Endpoint> ends;
    int n = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (verdicts[i] != Verdict::kCandidate) continue;
        ++n;
        ends.push_back({proto::sat_sub(c[i].offset_ns, c[i].root_distance_ns), -1});
        ends.push_back({c[i].offset_ns, 0});
        ends.push_back({proto::sat_add(c[i].offset_ns, c[i].root_distance_ns), +1});
    }
    if (n == 0) return 0;
    std::sort(ends.begin(), ends.end(), [](const Endpoint& a, const Endpoint& b) {
        return a.value != b.value ? a.value < b.value : a.type < b.type;
    });
    // Find the smallest number of falsetickers `allow` for which an interval is contained in
    // at least n - allow correctness intervals and holds no more than `allow` midpoints outside.
    int64_t low = 0;
    int64_t high = 0;
    bool found_interval = false;
    for (int allow = 0; 2 * allow < n; ++allow) {
        int chime = 0;
        int midpoints_outside = 0;
        low = std::numeric_limits<int64_t>::max();
        for (const Endpoint& e : ends) {
            chime -= e.type;
            if (chime >= n - allow) {
                low = e.value;
                break;
            }
            if (e.type == 0) ++midpoints_outside;
        }
        chime = 0;
        high = std::numeric_limits<int64_t>::min();
        for (auto it = ends.rbegin(); it != ends.rend(); ++it) {
            chime += it->type;
            if (chime >= n - allow) {
                high = it->value;
                break;
            }
            if (it->type == 0) ++midpoints_outside;
        }
        if (midpoints_outside > allow) continue;
        if (low <= high) {
            found_interval = true;
            break;
        }
    }
    int truechimers = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (verdicts[i] != Verdict::kCandidate) continue;
        bool inside = found_interval &&
                      proto::sat_add(c[i].offset_ns, c[i].root_distance_ns) >= low &&
                      proto::sat_sub(c[i].offset_ns, c[i].root_distance_ns) <= high;
        verdicts[i] = inside ? Verdict::kCandidate : Verdict::kFalseticker;
        if (inside) ++truechimers;
    }
    return truechimers;
}

namespace {

// Lower is better: stratum first, then root distance (RFC 5905 merit order).
double merit(const Candidate& c) {
    return static_cast<double>(c.stratum) * 1e12 + static_cast<double>(c.root_distance_ns);
}

}  // namespace

SelectionResult select_sources(std::span<const Candidate> c, const SelectionConfig& cfg,
                               std::span<Verdict> verdicts,
                               std::optional<std::size_t> current_peer) {
    SelectionResult r;
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (!c[i].usable || c[i].root_distance_ns > cfg.max_distance_ns || c[i].stratum >= 16) {
            verdicts[i] = Verdict::kUnusable;
        } else if (is_time_loop(c[i], cfg.own_refids)) {
            verdicts[i] = Verdict::kTimeLoop;
        } else {
            verdicts[i] = Verdict::kCandidate;
        }
    }
    for (Verdict v : verdicts) r.offered += v == Verdict::kCandidate ? 1 : 0;
    r.truechimers = intersect(c, verdicts);
    if (r.truechimers == 0 || r.truechimers < cfg.min_sane_sources) return r;

    std::vector<std::size_t> survivors;
    for (std::size_t i = 0; i < c.size(); ++i)
        if (verdicts[i] == Verdict::kCandidate) survivors.push_back(i);
    std::sort(survivors.begin(), survivors.end(),
              [&](std::size_t a, std::size_t b) { return merit(c[a]) < merit(c[b]); });

    // Cluster: drop the survivor with the largest selection jitter while that exceeds the
    // smallest peer jitter (the prefer peer is never dropped).
    while (static_cast<int>(survivors.size()) > std::max(1, cfg.min_cluster_survivors)) {
        double max_sel_jitter = -1.0;
        std::size_t worst = 0;
        double min_peer_jitter = std::numeric_limits<double>::max();
        for (std::size_t k = 0; k < survivors.size(); ++k) {
            const Candidate& ck = c[survivors[k]];
            min_peer_jitter = std::min(min_peer_jitter, static_cast<double>(ck.jitter_ns));
            if (ck.prefer) continue;
            double sum = 0.0;
            for (std::size_t j : survivors) {
                double d = proto::diff_double(c[j].offset_ns, ck.offset_ns);
                sum += d * d;
            }
            double sel_jitter = std::sqrt(sum / static_cast<double>(survivors.size() - 1));
            if (sel_jitter > max_sel_jitter) {
                max_sel_jitter = sel_jitter;
                worst = k;
            }
        }
        if (max_sel_jitter < 0.0 || max_sel_jitter <= min_peer_jitter) break;
        verdicts[survivors[worst]] = Verdict::kOutlier;
        survivors.erase(survivors.begin() + static_cast<std::ptrdiff_t>(worst));
    }

    std::size_t peer = survivors.front();
    const bool keep_current =
        current_peer && *current_peer < c.size() &&
        std::find(survivors.begin(), survivors.end(), *current_peer) != survivors.end() &&
        c[*current_peer].stratum <= c[peer].stratum;
    if (keep_current) peer = *current_peer;
    for (std::size_t i : survivors)
        if (c[i].prefer) {
            peer = i;
            break;
        }
    r.system_peer = peer;
    r.survivors = static_cast<int>(survivors.size());
    verdicts[peer] = Verdict::kSelected;

    if (c[peer].prefer) {
        // A preferred source's offset is used alone (it was chosen for being the best).
        r.offset_ns = c[peer].offset_ns;
        r.jitter_ns = c[peer].jitter_ns;
        return r;
    }
    double wsum = 0.0;
    double osum = 0.0;
    for (std::size_t i : survivors) {
        double w = 1.0 / static_cast<double>(std::max<int64_t>(c[i].root_distance_ns, 1));
        wsum += w;
        osum += w * static_cast<double>(c[i].offset_ns);
    }
    double offset = osum / wsum;
    double jsum = 0.0;
    for (std::size_t i : survivors) {
        double w = 1.0 / static_cast<double>(std::max<int64_t>(c[i].root_distance_ns, 1));
        double d = proto::diff_double(c[i].offset_ns, c[peer].offset_ns);
        jsum += w * d * d;
    }
    double sel_jitter = std::sqrt(jsum / wsum);
    double pj = static_cast<double>(c[peer].jitter_ns);
    r.offset_ns = proto::sat_round(offset);
    r.jitter_ns = proto::sat_trunc(std::sqrt(sel_jitter * sel_jitter + pj * pj));
    return r;
}

}  // namespace ntplite::clock
