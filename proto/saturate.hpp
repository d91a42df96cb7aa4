// Saturating int64 arithmetic for values derived from packets (offsets, delays, dispersions,
// jitter, root distance): a hostile server can make them as large as the wire allows, and
// signed overflow is undefined behaviour. Saturating at the int64 limits keeps every result
// ordered correctly ("very far" stays "very far"), which is all the callers compare against.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace ntplite::proto {

inline constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

/// a + b, clamped to [INT64_MIN, INT64_MAX].
constexpr int64_t sat_add(int64_t a, int64_t b) {
    int64_t out = 0;
    if (!__builtin_add_overflow(a, b, &out)) return out;
    return b > 0 ? kInt64Max : kInt64Min;
}

/// a - b, clamped.
constexpr int64_t sat_sub(int64_t a, int64_t b) {
    int64_t out = 0;
    if (!__builtin_sub_overflow(a, b, &out)) return out;
    return b < 0 ? kInt64Max : kInt64Min;
}

/// -a; -INT64_MIN gives INT64_MAX.
constexpr int64_t sat_neg(int64_t a) {
    return a == kInt64Min ? kInt64Max : -a;
}

/// |a|; |INT64_MIN| gives INT64_MAX.
constexpr int64_t sat_abs(int64_t a) {
    return a < 0 ? sat_neg(a) : a;
}

/// `x` rounded to the nearest integer and clamped to [-INT64_MAX, INT64_MAX] (symmetric, so the
/// result can always be negated); NaN gives 0: a value with no information corrects nothing.
/// (std::llround of an out-of-range value is unspecified and returns INT64_MIN on x86.)
inline int64_t sat_round(double x) {
    if (std::isnan(x)) return 0;
    // 2^63 is exactly representable; every double below it converts without overflow.
    constexpr double kLimit = 9223372036854775808.0;
    if (x >= kLimit) return kInt64Max;
    if (x <= -kLimit) return -kInt64Max;
    const double r = std::round(x);
    if (r >= kLimit) return kInt64Max;
    if (r <= -kLimit) return -kInt64Max;
    return static_cast<int64_t>(r);
}

/// a - b as a double: exact (then rounded once to double, as a plain cast of the difference
/// would be) when it fits in int64, else computed in double. For time differences between
/// values a jumped clock or a hostile reply can put anywhere in the int64 range.
inline double diff_double(int64_t a, int64_t b) {
    int64_t d = 0;
    if (!__builtin_sub_overflow(a, b, &d)) return static_cast<double>(d);
    return static_cast<double>(a) - static_cast<double>(b);
}

/// `x` truncated toward zero (as static_cast does) and clamped to [-INT64_MAX, INT64_MAX]; NaN
/// gives 0. For callers whose in-range results must stay exactly what a plain cast gives.
inline int64_t sat_trunc(double x) {
    if (std::isnan(x)) return 0;
    constexpr double kLimit = 9223372036854775808.0;
    if (x >= kLimit) return kInt64Max;
    if (x <= -kLimit) return -kInt64Max;
    return static_cast<int64_t>(x);
}

}  // namespace ntplite::proto
