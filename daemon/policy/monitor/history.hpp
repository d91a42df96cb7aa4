// The status page's memory: offset, jitter and frequency at each clock update over the last 24 h,
// in a fixed amount of memory. Pure (times are inputs, nothing is allocated after construction).
// When the buffer fills, neighbouring points are merged pairwise and the minimum spacing between
// points doubles, so a day of 1 s polls and a day of 1024 s polls both fit in `capacity` points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ntplite::daemon {

/// One point of the charts (a clock update, or the mean of several merged ones).
struct HistoryPoint {
    int64_t time_ns = 0;         ///< local Unix ns of the (latest merged) update
    int64_t offset_ns = 0;       ///< combined offset, positive = local clock behind
    int64_t jitter_ns = 0;       ///< system jitter
    double frequency_ppm = 0.0;  ///< frequency correction, positive = clock made faster
    uint32_t merged = 1;         ///< how many updates this point stands for
};

class History {
  public:
    /// Points kept at most (memory: capacity * sizeof(HistoryPoint)).
    static constexpr std::size_t kDefaultCapacity = 1024;
    /// How far back the charts reach.
    static constexpr int64_t kDefaultWindowNs = int64_t{24} * 3600 * 1'000'000'000;

    explicit History(std::size_t capacity = kDefaultCapacity, int64_t window_ns = kDefaultWindowNs);

    /// Records an update. Points older than the newest are ignored (a clock step backwards
    /// restarts the history instead, see clear()).
    void add(const HistoryPoint& p);
    /// Forgets everything (after a clock step the old times no longer line up).
    void clear();
    /// The points inside [now - window, now], oldest first.
    std::vector<HistoryPoint> points(int64_t now_ns) const;

    std::size_t size() const { return points_.size(); }
    std::size_t capacity() const { return capacity_; }
    int64_t window_ns() const { return window_ns_; }
    /// Current minimum spacing between stored points (0 until the buffer first filled).
    int64_t min_spacing_ns() const { return min_spacing_ns_; }

  private:
    void drop_older_than(int64_t cutoff_ns);
    void halve();

    std::size_t capacity_;
    int64_t window_ns_;
    int64_t min_spacing_ns_ = 0;
    std::vector<HistoryPoint> points_;  // oldest first, never beyond capacity_
};

}  // namespace ntplite::daemon
