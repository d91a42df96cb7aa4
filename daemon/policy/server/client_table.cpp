#include "daemon/policy/server/client_table.hpp"

#include "daemon/policy/server/address_hash.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace ntplite::daemon {
namespace {

void split(const config::IpAddress& a, uint64_t* hi, uint64_t* lo) {
    std::memcpy(hi, a.bytes.data(), 8);
    std::memcpy(lo, a.bytes.data() + 8, 8);
}

config::IpAddress join(uint64_t hi, uint64_t lo) {
    config::IpAddress a;
    std::memcpy(a.bytes.data(), &hi, 8);
    std::memcpy(a.bytes.data() + 8, &lo, 8);
    return a;
}

constexpr auto kRelaxed = std::memory_order_relaxed;

}  // namespace

ClientTable::ClientTable(std::size_t slots, uint64_t seed)
    : count_(std::bit_ceil(std::max<std::size_t>(slots, kWays))), seed_(seed) {
    slots_ = std::make_unique<Slot[]>(count_);
    set_mask_ = count_ / kWays - 1;
}

void ClientTable::record(const config::IpAddress& client, int64_t now_ns, ClientOutcome outcome) {
    uint64_t hi = 0, lo = 0;
    split(client, &hi, &lo);
    Slot* set = &slots_[(hash_address(client, seed_) & set_mask_) * kWays];
    Slot* slot = nullptr;
    Slot* victim = nullptr;
    for (std::size_t i = 0; i < kWays; ++i) {
        Slot& s = set[i];
        const bool used = s.seq.load(kRelaxed) != 0;  // we are the only writer: no race here
        if (used && s.addr_hi.load(kRelaxed) == hi && s.addr_lo.load(kRelaxed) == lo) {
            slot = &s;
            break;
        }
        if (!victim) {
            victim = &s;
        } else if (victim->seq.load(kRelaxed) != 0 &&
                   (!used || s.last_ns.load(kRelaxed) < victim->last_ns.load(kRelaxed))) {
            victim = &s;
        }
    }
    const bool fresh = slot == nullptr;
    if (fresh) {
        slot = victim;
        if (slot->seq.load(kRelaxed) != 0)
            evictions_.store(evictions_.load(kRelaxed) + 1, kRelaxed);
    }
    Slot& s = *slot;
    const uint32_t seq = s.seq.load(kRelaxed);
    // Writer side of the seqlock: odd while the fields change.
    s.seq.store(seq | 1u, kRelaxed);
    std::atomic_thread_fence(std::memory_order_release);
    if (fresh) {
        s.addr_hi.store(hi, kRelaxed);
        s.addr_lo.store(lo, kRelaxed);
        s.requests.store(0, kRelaxed);
        s.dropped.store(0, kRelaxed);
        s.kod.store(0, kRelaxed);
        s.first_ns.store(now_ns, kRelaxed);
    }
    s.requests.store(s.requests.load(kRelaxed) + 1, kRelaxed);
    if (outcome == ClientOutcome::kDropped) s.dropped.store(s.dropped.load(kRelaxed) + 1, kRelaxed);
    if (outcome == ClientOutcome::kKod) s.kod.store(s.kod.load(kRelaxed) + 1, kRelaxed);
    s.last_ns.store(now_ns, kRelaxed);
    // Next even value (never 0 again: 0 means unused).
    s.seq.store((seq | 1u) + 1u == 0 ? 2u : (seq | 1u) + 1u, std::memory_order_release);
}

void ClientTable::copy_to(std::vector<ClientRecord>& out) const {
    for (std::size_t i = 0; i < count_; ++i) {
        const Slot& s = slots_[i];
        for (int attempt = 0; attempt < 8; ++attempt) {
            const uint32_t before = s.seq.load(std::memory_order_acquire);
            if (before == 0) break;     // never used
            if (before & 1u) continue;  // being written
            ClientRecord r;
            r.address = join(s.addr_hi.load(kRelaxed), s.addr_lo.load(kRelaxed));
            r.requests = s.requests.load(kRelaxed);
            r.dropped = s.dropped.load(kRelaxed);
            r.kod = s.kod.load(kRelaxed);
            r.first_seen_mono_ns = s.first_ns.load(kRelaxed);
            r.last_seen_mono_ns = s.last_ns.load(kRelaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            if (s.seq.load(kRelaxed) != before) continue;
            out.push_back(r);
            break;
        }
    }
}

std::vector<ClientRecord> merge_clients(std::vector<ClientRecord> all, std::size_t limit) {
    std::sort(all.begin(), all.end(), [](const ClientRecord& a, const ClientRecord& b) {
        return a.address.bytes < b.address.bytes;
    });
    std::vector<ClientRecord> merged;
    for (const ClientRecord& r : all) {
        if (!merged.empty() && merged.back().address == r.address) {
            ClientRecord& m = merged.back();
            m.requests += r.requests;
            m.dropped += r.dropped;
            m.kod += r.kod;
            m.first_seen_mono_ns = std::min(m.first_seen_mono_ns, r.first_seen_mono_ns);
            m.last_seen_mono_ns = std::max(m.last_seen_mono_ns, r.last_seen_mono_ns);
        } else {
            merged.push_back(r);
        }
    }
    std::sort(merged.begin(), merged.end(), [](const ClientRecord& a, const ClientRecord& b) {
        if (a.requests != b.requests) return a.requests > b.requests;
        return a.last_seen_mono_ns > b.last_seen_mono_ns;
    });
    if (merged.size() > limit) merged.resize(limit);
    return merged;
}

}  // namespace ntplite::daemon
