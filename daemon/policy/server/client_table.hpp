// Who the server serves, for `ntpq-lite clients` (like `chronyc clients` / ntpsec's mrulist): a
// fixed-size, set-associative table of the most recently seen client addresses with their request,
// drop and KoD counts. One per worker thread, which is its only writer: recording costs a few
// relaxed atomic stores, no lock and no allocation on the packet path. Any other thread may take
// a consistent copy at any time: each slot is a seqlock (odd sequence = being written; a reader
// retries, and skips a slot that keeps changing under it).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "config/net.hpp"

namespace ntplite::daemon {

/// What the server did with one request (for the client's counters).
enum class ClientOutcome : uint8_t {
    kAnswered,  ///< a normal reply (leaked rate-limited ones included)
    kKod,       ///< a KoD RATE reply
    kDropped,   ///< no reply: rate limited, denied, malformed or not a client request
};

/// One client as copied out of a table.
struct ClientRecord {
    config::IpAddress address{};
    uint64_t requests = 0;           ///< every datagram seen from it
    uint64_t dropped = 0;            ///< of which not answered
    uint64_t kod = 0;                ///< of which answered with KoD RATE
    int64_t first_seen_mono_ns = 0;  ///< CLOCK_MONOTONIC of its first request in this slot
    int64_t last_seen_mono_ns = 0;   ///< CLOCK_MONOTONIC of its latest request
};

class ClientTable {
  public:
    static constexpr std::size_t kWays = 4;

    /// `slots` is rounded up to a power of two (at least kWays).
    explicit ClientTable(std::size_t slots = 256, uint64_t seed = 0x2545f4914f6cdd1du);

    /// Counts one request from `client` at monotonic `now_ns` (writer thread only). A new client
    /// takes a free way of its set or evicts the least recently seen one.
    void record(const config::IpAddress& client, int64_t now_ns, ClientOutcome outcome);

    /// Appends a copy of every occupied slot to `out` (any thread).
    void copy_to(std::vector<ClientRecord>& out) const;

    std::size_t slots() const { return count_; }
    /// Clients evicted to make room (writer thread's view; approximate from other threads).
    uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

  private:
    struct Slot {
        std::atomic<uint32_t> seq{0};  // even: stable, odd: being written; 0 = never used
        std::atomic<uint64_t> addr_hi{0}, addr_lo{0};
        std::atomic<uint64_t> requests{0}, dropped{0}, kod{0};
        std::atomic<int64_t> first_ns{0}, last_ns{0};
    };

    std::unique_ptr<Slot[]> slots_;
    std::size_t count_ = 0;
    std::size_t set_mask_ = 0;
    uint64_t seed_;
    std::atomic<uint64_t> evictions_{0};
};

/// Merges the copies of several tables (a client may be seen by more than one worker), sorts
/// them by request count (most first, then most recent) and keeps at most `limit`.
std::vector<ClientRecord> merge_clients(std::vector<ClientRecord> all, std::size_t limit);

}  // namespace ntplite::daemon
