// The drift file: the learned frequency correction (ppm) kept across restarts, so a restart
// does not have to relearn it.
//
// Format: one line, the frequency in ppm as a decimal number, then '\n' ("-12.345678\n").
// The trailing newline is always written, so a file cut short is recognised as truncated.
// Writes are atomic replaces (temp file, fsync, rename, fsync of the directory): a crash leaves
// the old file or the new one, never a mix. A file that is missing, empty, truncated, corrupt,
// NaN/infinite or absurd (|ppm| > 500, beyond what the kernel can apply) is rejected with an
// error the daemon logs as a warning; it then starts from the kernel's current frequency.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace ntplite::clock {

/// Largest believable drift (ppm), both signs: the kernel's frequency limit.
inline constexpr double kMaxDriftPpm = 500.0;
/// Files larger than this are not drift files (bytes).
inline constexpr size_t kMaxDriftFileBytes = 64;

/// Why a drift file was not used.
enum class DriftError : uint8_t {
    kMissing,     ///< no such file (normal on first start)
    kUnreadable,  ///< exists but cannot be read (permissions, I/O error, a directory...)
    kEmpty,       ///< zero bytes
    kTruncated,   ///< no terminating newline: the write was cut short
    kCorrupt,     ///< not a single decimal number (or too long)
    kNotFinite,   ///< NaN or infinite
    kAbsurd,      ///< |ppm| > kMaxDriftPpm
};
const char* to_string(DriftError e);

/// Why saving failed: the step and the errno.
struct DriftSaveError {
    const char* step = "";  ///< "open", "write", "fsync", "close", "rename", "fsync-dir", "value"
    int errno_value = 0;
};

/// Parses file contents (pure).
std::expected<double, DriftError> parse_drift(std::string_view text);
/// The file contents for `ppm` (pure). Six decimals: 1e-6 ppm is far below any estimate error.
std::string format_drift(double ppm);

/// Reads and parses `path`.
std::expected<double, DriftError> load_drift_file(const std::string& path);
/// Atomically replaces `path` with `ppm`. Refuses non-finite or absurd values ("value", EINVAL)
/// so a bad estimate is never persisted.
std::expected<void, DriftSaveError> save_drift_file(const std::string& path, double ppm);

/// When to save periodically (pure): at most every `interval_ns`, and only if the frequency
/// moved by at least `min_change_ppm` since the last save (no needless disk writes).
class DriftSaveSchedule {
  public:
    DriftSaveSchedule(int64_t interval_ns, double min_change_ppm)
        : interval_ns_(interval_ns), min_change_ppm_(min_change_ppm) {}

    /// True if a save is due at monotonic time `now_ns` for frequency `ppm`.
    bool due(int64_t now_ns, double ppm) const;
    /// Record a successful save.
    void saved(int64_t now_ns, double ppm);

  private:
    int64_t interval_ns_;
    double min_change_ppm_;
    bool ever_saved_ = false;
    int64_t last_save_ns_ = 0;
    double last_ppm_ = 0.0;
};

}  // namespace ntplite::clock
