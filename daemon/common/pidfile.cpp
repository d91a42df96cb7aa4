#include "daemon/common/pidfile.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ntplite::daemon {

std::string parent_directory(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::expected<void, std::string> ensure_directory(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return {};
        return std::unexpected(dir + " exists and is not a directory");
    }
    if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return {};
    return std::unexpected("cannot create directory " + dir + ": " + std::strerror(errno));
}

std::expected<PidFile, PidFile::Error> PidFile::acquire(const std::string& path) {
    if (auto ok = ensure_directory(parent_directory(path)); !ok)
        return std::unexpected(Error{false, 0, "pid file " + path + ": " + ok.error()});
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        return std::unexpected(
            Error{false, 0, "cannot open pid file " + path + ": " + std::strerror(errno)});
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        char buf[32] = {};
        ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        ::close(fd);
        if (err != EWOULDBLOCK) {
            return std::unexpected(
                Error{false, 0, "cannot lock pid file " + path + ": " + std::strerror(err)});
        }
        pid_t holder = n > 0 ? static_cast<pid_t>(std::strtol(buf, nullptr, 10)) : 0;
        return std::unexpected(
            Error{true, holder,
                  "another ntpd-lite is running" +
                      (holder > 0 ? " (pid " + std::to_string(holder) + ")" : std::string()) +
                      ": it holds the lock on " + path});
    }
    const std::string text = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        const int err = errno;
        ::close(fd);
        return std::unexpected(
            Error{false, 0, "cannot write pid file " + path + ": " + std::strerror(err)});
    }
    return PidFile(path, fd);
}

PidFile::PidFile(PidFile&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
    other.fd_ = -1;
}

PidFile::~PidFile() {
    if (fd_ < 0) return;
    // Unlink only the file we hold: if someone replaced it, the new file is not ours to remove.
    struct stat mine {
    }, now{};
    if (::fstat(fd_, &mine) == 0 && ::stat(path_.c_str(), &now) == 0 && mine.st_ino == now.st_ino &&
        mine.st_dev == now.st_dev) {
        ::unlink(path_.c_str());
    }
    ::close(fd_);
}

}  // namespace ntplite::daemon
