// Which addresses a [[source]] table uses, as a pure policy: pick distinct, not-banned addresses
// from a resolution, ban members that went bad (unreachable, falseticker, KoD DENY/RSTR) so the
// next resolution replaces them, and the retry schedule for name resolution. No IO and no clock
// reads: every time is an argument (monotonic ns).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "daemon/policy/sync/sync_config.hpp"

namespace ntplite::daemon {

/// Delay before resolution attempt number `failures` + 1 after `failures` consecutive failures
/// (>= 1): 2 s, 4 s, 8 s ... capped at kMaxResolveRetry_ns. A failing DNS costs one query per
/// period, never a tight loop.
int64_t resolve_retry_delay_ns(int failures);
inline constexpr int64_t kMaxResolveRetry_ns = 1024'000'000'000;

/// Why a member was dropped.
enum class DropReason : uint8_t {
    kUnreachable,  ///< stopped answering (the core asked for a replacement)
    kFalseticker,  ///< kept disagreeing with the majority
    kDenied,       ///< KoD DENY/RSTR: never use this address again
    kRemoved,      ///< dropped for another reason: no ban
};
const char* to_string(DropReason r);

class PoolMembership {
  public:
    /// A falseticker verdict this many times in a row gets a pool member replaced.
    static constexpr int kFalsetickerStrikes = 4;
    /// How long an unreachable or falseticker address stays out of the pool (DENY: forever).
    static constexpr int64_t kDefaultBan_ns = 3600'000'000'000;

    /// `wanted`: addresses in use at once (1 for a server, max_sources for a pool).
    explicit PoolMembership(std::size_t wanted, int64_t ban_ns = kDefaultBan_ns)
        : wanted_(wanted), ban_ns_(ban_ns) {}

    /// From a fresh resolution (in resolver order), the addresses to add now: distinct, not
    /// members, not banned at `now_ns`, at most free_slots() of them. If that leaves the pool
    /// with no member at all, temporarily banned (not denied) addresses are taken instead.
    std::vector<SourceAddress> choose(std::span<const SourceAddress> resolved,
                                      int64_t now_ns) const;
    /// Start using `a` (a result of choose()).
    void add(const SourceAddress& a);
    /// Stop using `a` for `why` at `now_ns`; bans it unless kRemoved. False if not a member.
    bool drop(const SourceAddress& a, DropReason why, int64_t now_ns);
    /// Record the selection verdict for member `a` after one of its samples. True when it has
    /// now been a falseticker kFalsetickerStrikes times in a row (the caller drops it).
    bool note_verdict(const SourceAddress& a, bool falseticker);
    /// True if `a` is banned at `now_ns`.
    bool banned(const SourceAddress& a, int64_t now_ns) const;
    /// True if `a` sent KoD DENY/RSTR (banned for good).
    bool denied(const SourceAddress& a) const;

    std::size_t size() const { return members_.size(); }
    std::size_t wanted() const { return wanted_; }
    std::size_t free_slots() const {
        return members_.size() < wanted_ ? wanted_ - members_.size() : 0;
    }
    const std::vector<SourceAddress>& members() const { return members_; }

  private:
    struct Ban {
        SourceAddress address;
        int64_t until_ns;  // INT64_MAX: forever
    };
    struct Strikes {
        SourceAddress address;
        int count;
    };
    std::size_t wanted_;
    int64_t ban_ns_;
    std::vector<SourceAddress> members_;
    std::vector<Ban> bans_;
    std::vector<Strikes> strikes_;
};

}  // namespace ntplite::daemon
