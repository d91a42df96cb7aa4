// The single-instance lock: a pid file held with flock() for the daemon's lifetime. A second
// daemon with the same file is refused with the first one's pid; a file left by a crash is
// not locked, so it is simply taken over.
#pragma once

#include <sys/types.h>

#include <expected>
#include <string>

namespace ntplite::daemon {

class PidFile {
  public:
    /// Why acquire() failed.
    struct Error {
        bool held = false;  ///< true: another live process holds the lock (pid below)
        pid_t holder = 0;   ///< its pid as written in the file, 0 if unreadable
        std::string message;
    };

    /// Creates the file's directory (one level, mode 0755) if missing, opens and locks the file
    /// and writes our pid into it.
    static std::expected<PidFile, Error> acquire(const std::string& path);

    PidFile(PidFile&& other) noexcept;
    PidFile& operator=(PidFile&&) = delete;
    /// Removes the file if it is still the one we locked, then releases the lock.
    ~PidFile();

    const std::string& path() const { return path_; }

  private:
    PidFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_ = -1;
};

/// Creates `dir` (mode 0755) if it does not exist; its parent must exist. Error: why not.
std::expected<void, std::string> ensure_directory(const std::string& dir);

/// The directory part of `path` ("/run/x/y.pid" -> "/run/x"; "y" -> ".").
std::string parent_directory(const std::string& path);

}  // namespace ntplite::daemon
