// NTP timestamp formats (RFC 5905 section 6) and their conversion to Unix time.
// Pure: no IO, no clock reads. Unix time is carried as signed nanoseconds since
// 1970-01-01T00:00:00Z (int64_t covers 1678..2262), so every conversion here is exact to the
// nanosecond.
#pragma once

#include <cstdint>

namespace ntplite::proto {

/// Seconds from the NTP prime epoch (1900-01-01) to the Unix epoch (1970-01-01).
inline constexpr int64_t kNtpToUnixOffset_s = 2'208'988'800;
inline constexpr int64_t kNsPerSecond = 1'000'000'000;

/// A signed span of time in NTP 32.32 fixed point (2^-32 s units). The difference of two
/// NtpTimestamps taken modulo 2^64, so it is era-independent while |span| < 68 years.
struct NtpDuration {
    int64_t fixed = 0;  ///< 2^-32 s units, positive = later

    /// Rounded to the nearest nanosecond (ties away from zero).
    constexpr int64_t to_ns() const {
        __int128 scaled = static_cast<__int128>(fixed) * kNsPerSecond;
        __int128 half = static_cast<__int128>(1) << 31;
        return static_cast<int64_t>(scaled >= 0 ? (scaled + half) >> 32
                                                : -((-scaled + half) >> 32));
    }
    /// From signed nanoseconds, rounded to the nearest 2^-32 s (ties away from zero). Saturates
    /// beyond +-2^31 s (68 years), which the 32.32 format cannot hold.
    static constexpr NtpDuration from_ns(int64_t ns) {
        __int128 scaled = static_cast<__int128>(ns) * (static_cast<__int128>(1) << 32);
        __int128 q =
            (scaled >= 0 ? scaled + kNsPerSecond / 2 : scaled - kNsPerSecond / 2) / kNsPerSecond;
        constexpr __int128 kMax = INT64_MAX;
        constexpr __int128 kMin = INT64_MIN;
        return NtpDuration{static_cast<int64_t>(q > kMax ? kMax : (q < kMin ? kMin : q))};
    }
    friend constexpr NtpDuration operator+(NtpDuration a, NtpDuration b) {
        return {a.fixed + b.fixed};
    }
    friend constexpr NtpDuration operator-(NtpDuration a, NtpDuration b) {
        return {a.fixed - b.fixed};
    }
    friend constexpr bool operator==(NtpDuration, NtpDuration) = default;
};

/// 64-bit NTP timestamp: 32 bits of seconds since the start of the current era, 32 bits of
/// fraction. Era 0 began 1900-01-01; era 1 begins 2036-02-07T06:28:16Z.
struct NtpTimestamp {
    uint64_t raw = 0;  ///< seconds << 32 | fraction, host byte order

    constexpr uint32_t seconds() const { return static_cast<uint32_t>(raw >> 32); }
    constexpr uint32_t fraction() const { return static_cast<uint32_t>(raw); }
    constexpr bool is_zero() const { return raw == 0; }

    /// From Unix nanoseconds (any era; the era number itself is not representable on the wire).
    /// Exact: to_unix_ns(from_unix_ns(t), t) == t for every t.
    static constexpr NtpTimestamp from_unix_ns(int64_t unix_ns) {
        int64_t sec = unix_ns / kNsPerSecond;
        int64_t rem_ns = unix_ns % kNsPerSecond;
        if (rem_ns < 0) {
            rem_ns += kNsPerSecond;
            sec -= 1;
        }
        uint64_t ntp_sec = static_cast<uint64_t>(sec + kNtpToUnixOffset_s) & 0xffff'ffffu;
        // round(rem_ns * 2^32 / 1e9); 2^32/1e9 > 4 so distinct ns map to distinct fractions.
        uint64_t frac = ((static_cast<uint64_t>(rem_ns) << 32) + kNsPerSecond / 2) / kNsPerSecond;
        if (frac > 0xffff'ffffu)
            frac = 0xffff'ffffu;  // cannot happen for rem_ns < 1e9; belt and braces
        return NtpTimestamp{(ntp_sec << 32) | frac};
    }

    /// To Unix nanoseconds, choosing the era that puts the result within +-2^31 s (68 years) of
    /// `pivot_unix_ns` (normally "now"), so timestamps after 2036-02-07 convert correctly.
    constexpr int64_t to_unix_ns(int64_t pivot_unix_ns) const {
        int64_t pivot_s = pivot_unix_ns / kNsPerSecond - (pivot_unix_ns % kNsPerSecond < 0 ? 1 : 0);
        int64_t pivot_ntp_s = pivot_s + kNtpToUnixOffset_s;
        int32_t delta_s = static_cast<int32_t>(seconds() - static_cast<uint32_t>(pivot_ntp_s));
        int64_t ntp_s = pivot_ntp_s + delta_s;
        int64_t frac_ns = static_cast<int64_t>(
            ((static_cast<uint64_t>(fraction()) * kNsPerSecond) + (uint64_t{1} << 31)) >> 32);
        // A pivot near the ends of the int64 ns range (years 1678/2262) can put the chosen era
        // outside it: saturate rather than overflow (signed overflow would be undefined).
        __int128 ns = static_cast<__int128>(ntp_s - kNtpToUnixOffset_s) * kNsPerSecond + frac_ns;
        constexpr __int128 kMax = INT64_MAX;
        constexpr __int128 kMin = INT64_MIN;
        return static_cast<int64_t>(ns > kMax ? kMax : (ns < kMin ? kMin : ns));
    }

    /// Wrapping difference a - b: correct when the two straddle an era boundary.
    friend constexpr NtpDuration operator-(NtpTimestamp a, NtpTimestamp b) {
        return NtpDuration{static_cast<int64_t>(a.raw - b.raw)};
    }
    friend constexpr NtpTimestamp operator+(NtpTimestamp a, NtpDuration d) {
        return NtpTimestamp{a.raw + static_cast<uint64_t>(d.fixed)};
    }
    friend constexpr bool operator==(NtpTimestamp, NtpTimestamp) = default;
};

/// 32-bit NTP short format (16.16 unsigned seconds), used for root delay and root dispersion.
struct NtpShort {
    uint32_t raw = 0;  ///< seconds << 16 | fraction

    /// Rounded to the nearest nanosecond.
    constexpr int64_t to_ns() const {
        return static_cast<int64_t>((static_cast<uint64_t>(raw) * kNsPerSecond + (1u << 15)) >> 16);
    }
    /// From non-negative nanoseconds, rounded up (a bound should never shrink), saturating at
    /// 65535.99998 s. Negative inputs give 0.
    static constexpr NtpShort from_ns(int64_t ns) {
        if (ns <= 0) return NtpShort{0};
        uint64_t v = ((static_cast<unsigned __int128>(ns) << 16) + kNsPerSecond - 1) / kNsPerSecond;
        return NtpShort{v > 0xffff'ffffu ? 0xffff'ffffu : static_cast<uint32_t>(v)};
    }
    friend constexpr bool operator==(NtpShort, NtpShort) = default;
};

/// Poll interval as log2 seconds (RFC 5905: 4 = 16 s .. 17 = 36 h; we allow -6..17 for tests).
struct PollInterval {
    int8_t log2 = 6;

    /// Interval in nanoseconds; negative log2 gives fractions of a second. log2 comes off the
    /// wire as any int8, so it is clamped to -30..33 (1 ns .. 272 years) to keep the shift defined.
    constexpr int64_t to_ns() const {
        int shift = log2 < -30 ? -30 : (log2 > 33 ? 33 : log2);
        return shift >= 0 ? (kNsPerSecond << shift) : (kNsPerSecond >> -shift);
    }
    friend constexpr bool operator==(PollInterval, PollInterval) = default;
};

}  // namespace ntplite::proto
