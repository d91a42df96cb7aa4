#include "daemon/policy/monitor/history.hpp"

#include <algorithm>

namespace ntplite::daemon {
namespace {

/// `into` becomes the weighted mean of itself and `p`, stamped with the later time.
void merge(HistoryPoint& into, const HistoryPoint& p) {
    const double a = into.merged, b = p.merged, n = a + b;
    into.offset_ns = static_cast<int64_t>(
        (static_cast<double>(into.offset_ns) * a + static_cast<double>(p.offset_ns) * b) / n);
    into.jitter_ns = static_cast<int64_t>(
        (static_cast<double>(into.jitter_ns) * a + static_cast<double>(p.jitter_ns) * b) / n);
    into.frequency_ppm = (into.frequency_ppm * a + p.frequency_ppm * b) / n;
    into.time_ns = std::max(into.time_ns, p.time_ns);
    into.merged += p.merged;
}

}  // namespace

History::History(std::size_t capacity, int64_t window_ns)
    : capacity_(std::max<std::size_t>(capacity, 4)), window_ns_(std::max<int64_t>(window_ns, 1)) {
    points_.reserve(capacity_);
}

void History::clear() {
    points_.clear();
    min_spacing_ns_ = 0;
}

void History::drop_older_than(int64_t cutoff_ns) {
    auto keep = std::find_if(points_.begin(), points_.end(),
                             [cutoff_ns](const HistoryPoint& p) { return p.time_ns >= cutoff_ns; });
    points_.erase(points_.begin(), keep);
}

void History::halve() {
    std::size_t out = 0;
    for (std::size_t i = 0; i < points_.size(); i += 2) {
        HistoryPoint p = points_[i];
        if (i + 1 < points_.size()) merge(p, points_[i + 1]);
        points_[out++] = p;
    }
    points_.resize(out);
    // At least the spacing that a full buffer over the whole window would have.
    min_spacing_ns_ = std::max(min_spacing_ns_ * 2, window_ns_ / static_cast<int64_t>(capacity_));
}

void History::add(const HistoryPoint& p) {
    if (!points_.empty() && p.time_ns < points_.back().time_ns) return;
    drop_older_than(p.time_ns - window_ns_);
    if (!points_.empty() && min_spacing_ns_ > 0 && points_.size() >= 2 &&
        p.time_ns - points_[points_.size() - 2].time_ns < min_spacing_ns_) {
        // The newest point is still filling its slot: fold this update into it.
        merge(points_.back(), p);
        return;
    }
    if (points_.size() == capacity_) halve();
    points_.push_back(p);
}

std::vector<HistoryPoint> History::points(int64_t now_ns) const {
    std::vector<HistoryPoint> out;
    for (const HistoryPoint& p : points_) {
        if (p.time_ns >= now_ns - window_ns_ && p.time_ns <= now_ns) out.push_back(p);
    }
    return out;
}

}  // namespace ntplite::daemon
