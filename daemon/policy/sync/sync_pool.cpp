#include "daemon/policy/sync/sync_pool.hpp"

#include <algorithm>
#include <climits>

namespace ntplite::daemon {

int64_t resolve_retry_delay_ns(int failures) {
    if (failures < 1) failures = 1;
    if (failures > 20) return kMaxResolveRetry_ns;
    int64_t d = int64_t{1'000'000'000} << failures;
    return std::min(d, kMaxResolveRetry_ns);
}

const char* to_string(DropReason r) {
    switch (r) {
        case DropReason::kUnreachable:
            return "unreachable";
        case DropReason::kFalseticker:
            return "falseticker";
        case DropReason::kDenied:
            return "denied (KoD)";
        case DropReason::kRemoved:
            return "removed";
    }
    return "?";
}

std::vector<SourceAddress> PoolMembership::choose(std::span<const SourceAddress> resolved,
                                                  int64_t now_ns) const {
    std::vector<SourceAddress> out;
    std::size_t slots = free_slots();
    for (const auto& a : resolved) {
        if (out.size() >= slots) break;
        if (std::find(members_.begin(), members_.end(), a) != members_.end()) continue;
        if (std::find(out.begin(), out.end(), a) != out.end()) continue;
        if (banned(a, now_ns)) continue;
        out.push_back(a);
    }
    if (!out.empty() || !members_.empty()) return out;
    // Nothing else to use and nothing in use (e.g. every member went unreachable in a network
    // outage): retrying a temporarily banned address beats polling nobody for an hour. An
    // address that sent KoD DENY/RSTR stays banned.
    for (const auto& a : resolved) {
        if (out.size() >= slots) break;
        if (std::find(out.begin(), out.end(), a) != out.end()) continue;
        if (denied(a)) continue;
        out.push_back(a);
    }
    return out;
}

bool PoolMembership::denied(const SourceAddress& a) const {
    for (const auto& b : bans_)
        if (b.address == a && b.until_ns == INT64_MAX) return true;
    return false;
}

void PoolMembership::add(const SourceAddress& a) {
    if (std::find(members_.begin(), members_.end(), a) == members_.end()) members_.push_back(a);
}

bool PoolMembership::drop(const SourceAddress& a, DropReason why, int64_t now_ns) {
    auto it = std::find(members_.begin(), members_.end(), a);
    if (it == members_.end()) return false;
    members_.erase(it);
    std::erase_if(strikes_, [&](const Strikes& s) { return s.address == a; });
    if (why == DropReason::kRemoved) return true;
    int64_t until =
        why == DropReason::kDenied || now_ns > INT64_MAX - ban_ns_ ? INT64_MAX : now_ns + ban_ns_;
    std::erase_if(bans_, [&](const Ban& b) { return b.address == a; });
    bans_.push_back(Ban{a, until});
    return true;
}

bool PoolMembership::note_verdict(const SourceAddress& a, bool falseticker) {
    auto it = std::find_if(strikes_.begin(), strikes_.end(),
                           [&](const Strikes& s) { return s.address == a; });
    if (!falseticker) {
        if (it != strikes_.end()) strikes_.erase(it);
        return false;
    }
    if (it == strikes_.end()) {
        strikes_.push_back(Strikes{a, 0});
        it = strikes_.end() - 1;
    }
    return ++it->count >= kFalsetickerStrikes;
}

bool PoolMembership::banned(const SourceAddress& a, int64_t now_ns) const {
    for (const auto& b : bans_)
        if (b.address == a && now_ns < b.until_ns) return true;
    return false;
}

}  // namespace ntplite::daemon
