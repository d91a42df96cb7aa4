// Source selection, clustering and combining (RFC 5905 section 11.2): pure functions over a span
// of candidates. Offsets: server - local, positive = we are behind.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "clock/config.hpp"

namespace ntplite::clock {

/// What selection knows about one source.
struct Candidate {
    int64_t offset_ns = 0;         ///< filtered offset (server - local)
    int64_t root_distance_ns = 0;  ///< lambda: half-width of the correctness interval, > 0
    int64_t rfc_distance_ns = 0;   ///< RFC 5905 root distance (empty filter stages = MAXDISP)
    int64_t jitter_ns = 0;         ///< filter jitter
    uint8_t stratum = 16;          ///< the source's stratum
    uint32_t refid = 0;            ///< the source's refid (whom it takes time from)
    bool prefer = false;
    bool usable = true;  ///< false: unreachable, no samples, noselect, unsynchronized
};

/// Why a candidate ended where it did.
enum class Verdict : uint8_t {
    kUnusable,     ///< not offered (usable = false) or too far (root distance over the limit)
    kTimeLoop,     ///< its refid is one of our own addresses: it takes time from us
    kFalseticker,  ///< outside the intersection of the majority
    kOutlier,      ///< survived intersection, pruned by clustering
    kCandidate,    ///< survivor, combined into the system offset
    kSelected,     ///< the system peer
};
const char* to_string(Verdict v);

/// The result of a selection round.
struct SelectionResult {
    std::optional<std::size_t> system_peer;  ///< index into the candidates; empty = no sync
    int64_t offset_ns = 0;                   ///< combined offset of the survivors
    int64_t jitter_ns = 0;                   ///< selection jitter combined with the system peer's
    int survivors = 0;                       ///< candidates combined
    int truechimers = 0;                     ///< candidates inside the intersection
    int offered = 0;  ///< candidates that entered the intersection (usable, near, no loop)
};

/// Marks time loops: a stratum >= 2 candidate whose refid is one of `own_refids`.
/// Returns true if candidate `c` is a loop.
bool is_time_loop(const Candidate& c, std::span<const uint32_t> own_refids);

/// RFC 5905 11.2.1 intersection: writes kFalseticker/kCandidate into `verdicts` for the
/// candidates whose verdict is still kCandidate on entry. Returns the number of truechimers;
/// if no majority interval exists all of them become falsetickers.
int intersect(std::span<const Candidate> c, std::span<Verdict> verdicts);

/// Full selection: unusable/too far, loop detection, intersection, min_sane, cluster pruning
/// down to min_cluster_survivors, combine (weighted by 1/root distance), prefer honoured.
/// `verdicts` must have c.size() entries. `current_peer` (index of the present system peer)
/// gives hysteresis as in RFC 5905's clock_select: it stays the system peer while it survives
/// clustering at the best survivor's stratum, so equally good sources do not take turns (each
/// change would change the refid and root delay we serve). A prefer peer still wins.
SelectionResult select_sources(std::span<const Candidate> c, const SelectionConfig& cfg,
                               std::span<Verdict> verdicts,
                               std::optional<std::size_t> current_peer = std::nullopt);

}  // namespace ntplite::clock
