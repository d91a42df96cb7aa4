#include "clock/leap.hpp"

#include <chrono>

namespace ntplite::clock {

namespace {

using proto::LeapIndicator;

// Civil UTC date of a Unix time (floor division, so times before 1970 work too).
std::chrono::year_month_day utc_date(int64_t unix_ns) {
    constexpr int64_t kNsPerDay = 86'400LL * 1'000'000'000LL;
    int64_t days = unix_ns / kNsPerDay - ((unix_ns % kNsPerDay) < 0 ? 1 : 0);
    return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{days}}};
}

}  // namespace

LeapIndicator majority_leap(std::span<const LeapIndicator> selected) {
    size_t inserts = 0;
    size_t deletes = 0;
    for (LeapIndicator li : selected) {
        if (li == LeapIndicator::kInsertSecond) ++inserts;
        if (li == LeapIndicator::kDeleteSecond) ++deletes;
    }
    if (2 * inserts > selected.size()) return LeapIndicator::kInsertSecond;
    if (2 * deletes > selected.size()) return LeapIndicator::kDeleteSecond;
    return LeapIndicator::kNone;
}

bool is_leap_day(int64_t unix_ns) {
    using namespace std::chrono;
    year_month_day d = utc_date(unix_ns);
    return (d.month() == June && d.day() == 30d) || (d.month() == December && d.day() == 31d);
}

bool is_leap_month(int64_t unix_ns) {
    using namespace std::chrono;
    month m = utc_date(unix_ns).month();
    return m == June || m == December;
}

LeapDecision LeapTracker::decide(int64_t now_ns) {
    LeapDecision d;
    d.announce = is_leap_month(now_ns) ? armed_ : LeapIndicator::kNone;
    d.kernel = is_leap_day(now_ns) ? armed_ : LeapIndicator::kNone;
    d.kernel_changed = d.kernel != kernel_;
    kernel_ = d.kernel;
    return d;
}

LeapDecision LeapTracker::update(std::span<const LeapIndicator> selected, int64_t now_ns) {
    armed_ = majority_leap(selected);
    return decide(now_ns);
}

LeapDecision LeapTracker::tick(int64_t now_ns) {
    return decide(now_ns);
}

LeapDecision LeapTracker::reset() {
    armed_ = LeapIndicator::kNone;
    LeapDecision d;
    d.kernel_changed = kernel_ != LeapIndicator::kNone;
    kernel_ = LeapIndicator::kNone;
    return d;
}

}  // namespace ntplite::clock
