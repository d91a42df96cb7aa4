#include "clock/os/drift_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace ntplite::clock {

namespace {

// Closes a descriptor on scope exit.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    /// Closes now and reports close()'s errno (0 = fine): a failed close can lose data.
    int close_now() {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc == 0 ? 0 : errno;
    }

  private:
    int fd_;
};

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::string parent_dir(const std::string& path) {
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

bool write_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace

const char* to_string(DriftError e) {
    switch (e) {
        case DriftError::kMissing:
            return "missing";
        case DriftError::kUnreadable:
            return "unreadable";
        case DriftError::kEmpty:
            return "empty";
        case DriftError::kTruncated:
            return "truncated (no final newline)";
        case DriftError::kCorrupt:
            return "corrupt (not a single number)";
        case DriftError::kNotFinite:
            return "not a finite number";
        case DriftError::kAbsurd:
            return "absurd (more than 500 ppm)";
    }
    return "?";
}

std::expected<double, DriftError> parse_drift(std::string_view text) {
    if (text.empty()) return std::unexpected(DriftError::kEmpty);
    if (text.size() > kMaxDriftFileBytes) return std::unexpected(DriftError::kCorrupt);
    if (text.back() != '\n') return std::unexpected(DriftError::kTruncated);
    text.remove_suffix(1);
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    if (text.empty()) return std::unexpected(DriftError::kCorrupt);

    double ppm = 0.0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ppm);
    if (ec == std::errc::result_out_of_range) return std::unexpected(DriftError::kAbsurd);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::unexpected(DriftError::kCorrupt);
    }
    if (!std::isfinite(ppm)) return std::unexpected(DriftError::kNotFinite);
    if (std::fabs(ppm) > kMaxDriftPpm) return std::unexpected(DriftError::kAbsurd);
    return ppm;
}

std::string format_drift(double ppm) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf - 1, ppm, std::chars_format::fixed, 6);
    if (ec != std::errc{}) return "0.000000\n";  // only for absurd values, which save refuses
    *end++ = '\n';
    return std::string(buf, end);
}

std::expected<double, DriftError> load_drift_file(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        return std::unexpected(errno == ENOENT ? DriftError::kMissing : DriftError::kUnreadable);
    }
    // Read one byte more than a valid file can have, to tell "too long" from "just fits".
    char buf[kMaxDriftFileBytes + 1];
    size_t len = 0;
    while (len < sizeof buf) {
        ssize_t n = ::read(fd.get(), buf + len, sizeof buf - len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(DriftError::kUnreadable);
        }
        if (n == 0) break;
        len += static_cast<size_t>(n);
    }
    return parse_drift(std::string_view(buf, len));
}

std::expected<void, DriftSaveError> save_drift_file(const std::string& path, double ppm) {
    if (!std::isfinite(ppm) || std::fabs(ppm) > kMaxDriftPpm) {
        return std::unexpected(DriftSaveError{"value", EINVAL});
    }
    const std::string tmp = path + ".tmp";
    const std::string data = format_drift(ppm);
    auto fail = [&](const char* step) {
        DriftSaveError err{step, errno};
        ::unlink(tmp.c_str());
        return std::unexpected(err);
    };
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (fd.get() < 0) return std::unexpected(DriftSaveError{"open", errno});
        if (!write_all(fd.get(), data)) return fail("write");
        if (::fsync(fd.get()) != 0) return fail("fsync");
        if (int e = fd.close_now(); e != 0) {
            errno = e;
            return fail("close");
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
    // The rename is durable only once the directory entry is on disk.
    Fd dir(::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) return std::unexpected(DriftSaveError{"fsync-dir", errno});
    if (::fsync(dir.get()) != 0) return std::unexpected(DriftSaveError{"fsync-dir", errno});
    return {};
}

bool DriftSaveSchedule::due(int64_t now_ns, double ppm) const {
    if (!std::isfinite(ppm)) return false;
    if (!ever_saved_) return true;
    return now_ns - last_save_ns_ >= interval_ns_ && std::fabs(ppm - last_ppm_) >= min_change_ppm_;
}

void DriftSaveSchedule::saved(int64_t now_ns, double ppm) {
    ever_saved_ = true;
    last_save_ns_ = now_ns;
    last_ppm_ = ppm;
}

}  // namespace ntplite::clock
