#include "config/os/config_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace ntplite::config {

std::expected<std::string, std::string> read_small_file(const std::string& path,
                                                        std::size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below then refuses it.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return std::unexpected(std::string("cannot read: ") + std::strerror(errno));
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return std::unexpected(std::string("cannot read: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return std::unexpected(std::string("is a directory, not a file"));
    if (!S_ISREG(st.st_mode))
        return std::unexpected(std::string("is not a regular file (FIFO, socket or device)"));
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
        return std::unexpected("is " + std::to_string(st.st_size) + " bytes (at most " +
                               std::to_string(max_bytes) + ")");
    }
    std::string text;
    text.resize(max_bytes + 1);
    std::size_t got = 0;
    // Read at most max_bytes + 1 whatever fstat said: the file may grow while we read.
    while (got < text.size()) {
        const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::unexpected(std::string("cannot read: ") + std::strerror(errno));
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got > max_bytes) {
        return std::unexpected("is more than " + std::to_string(max_bytes) + " bytes");
    }
    text.resize(got);
    return text;
}

std::expected<Config, std::vector<ConfigError>> load_file(const std::string& path) {
    auto text = read_small_file(path, kMaxConfigBytes);
    if (!text) {
        return std::unexpected(std::vector<ConfigError>{ConfigError{path, {}, text.error()}});
    }
    return parse_config(*text, path);
}

}  // namespace ntplite::config
