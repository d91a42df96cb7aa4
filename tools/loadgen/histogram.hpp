// Latency histogram with bounded relative error, for the load generator. Log-linear buckets:
// values below 2^kSubBits are exact; above, each power of two is split into 2^kSubBits buckets,
// so a reported percentile is within 1/2^kSubBits (~1.6 %) of the true value. Fixed size,
// no allocation when recording, so it can sit on the receive path.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace ntplite::tools::loadgen {

class LatencyHistogram {
  public:
    static constexpr unsigned kSubBits = 6;
    static constexpr uint64_t kSubCount = uint64_t{1} << kSubBits;
    /// Largest recordable value exponent: values >= 2^kMaxExp ns (~18 min) saturate.
    static constexpr unsigned kMaxExp = 40;
    static constexpr std::size_t kBuckets = (kMaxExp - kSubBits + 1) * kSubCount;

    /// Record one latency in nanoseconds (larger than ~2^40 ns saturates into the last bucket).
    void record(uint64_t latency_ns) {
        ++counts_[index_of(latency_ns)];
        ++total_;
        max_ns_ = std::max(max_ns_, latency_ns);
        min_ns_ = std::min(min_ns_, latency_ns);
    }

    /// Add every sample of `other` (for merging per-thread histograms).
    void merge(const LatencyHistogram& other) {
        for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
        total_ += other.total_;
        max_ns_ = std::max(max_ns_, other.max_ns_);
        min_ns_ = std::min(min_ns_, other.min_ns_);
    }

    /// Number of recorded samples.
    uint64_t count() const { return total_; }
    /// Exact largest / smallest sample in ns (0 when empty).
    uint64_t max_ns() const { return total_ ? max_ns_ : 0; }
    uint64_t min_ns() const { return total_ ? min_ns_ : 0; }

    /// The value in ns at or below which `fraction` (0..1) of the samples lie: the upper edge of
    /// the bucket holding that rank, clamped to the exact max. 0 when empty.
    uint64_t percentile_ns(double fraction) const {
        if (total_ == 0) return 0;
        fraction = std::clamp(fraction, 0.0, 1.0);
        // Rank of the sample (1-based) that the percentile names: ceil(fraction * n), at least 1.
        auto rank = static_cast<uint64_t>(fraction * static_cast<double>(total_));
        if (static_cast<double>(rank) < fraction * static_cast<double>(total_)) ++rank;
        rank = std::max<uint64_t>(rank, 1);
        uint64_t seen = 0;
        for (std::size_t i = 0; i < kBuckets; ++i) {
            seen += counts_[i];
            if (seen >= rank) return std::min(upper_edge(i), max_ns_);
        }
        return max_ns_;
    }

    /// Bucket of a value; exposed for reasoning about precision.
    static std::size_t index_of(uint64_t v) {
        if (v < kSubCount) return static_cast<std::size_t>(v);
        unsigned exp = static_cast<unsigned>(std::bit_width(v)) - 1;  // v in [2^exp, 2^(exp+1))
        if (exp >= kMaxExp) return kBuckets - 1;
        unsigned shift = exp - kSubBits;
        // Bucket group (exp - kSubBits + 1), offset = the kSubBits bits below the leading one.
        return static_cast<std::size_t>((exp - kSubBits + 1) * kSubCount +
                                        ((v >> shift) & (kSubCount - 1)));
    }

    /// Largest value (inclusive) that falls into bucket `i`.
    static uint64_t upper_edge(std::size_t i) {
        if (i < kSubCount) return i;
        uint64_t group = i / kSubCount;  // >= 1
        uint64_t offset = i % kSubCount;
        unsigned shift = static_cast<unsigned>(group - 1);
        uint64_t low = (kSubCount + offset) << shift;
        return low + ((uint64_t{1} << shift) - 1);
    }

  private:
    std::array<uint64_t, kBuckets> counts_{};
    uint64_t total_ = 0;
    uint64_t max_ns_ = 0;
    uint64_t min_ns_ = UINT64_MAX;
};

}  // namespace ntplite::tools::loadgen
