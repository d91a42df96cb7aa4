#include "daemon/nts/key_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ntplite::daemon::nts {
namespace {

struct Fd {
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    int fd;
};

std::string parent_dir(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string err(std::string_view what, const std::string& path) {
    return fmt::format("{} {}: {}", what, path, std::strerror(errno));
}

constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

}  // namespace

std::expected<proto::nts::KeyRing, std::string> load_key_file(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (fd.fd < 0) {
        if (errno == ENOENT) return proto::nts::KeyRing{};
        return std::unexpected(err("open", path));
    }
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(err("read", path));
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > kMaxKeyFileBytes)
            return std::unexpected(fmt::format("{}: larger than {} bytes", path, kMaxKeyFileBytes));
    }
    auto ring = proto::nts::parse_key_file(text);
    if (!ring) return std::unexpected(fmt::format("{}:{}: malformed key line", path, ring.error()));
    return *ring;
}

std::expected<void, std::string> save_key_file(const std::string& path,
                                               const proto::nts::KeyRing& ring) {
    const std::string text = proto::nts::format_key_file(ring);
    // A per-process temporary name: servers sharing the file do not clobber each other's.
    const std::string tmp = fmt::format("{}.{}.tmp", path, ::getpid());
    constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int raw = ::open(tmp.c_str(), kFlags, 0600);
    if (raw < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0)
        raw = ::open(tmp.c_str(), kFlags, 0600);
    Fd fd(raw);
    if (fd.fd < 0) return std::unexpected(err("create", tmp));
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd.fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::unlink(tmp.c_str());
            return std::unexpected(err("write", tmp));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.fd) != 0) {
        ::unlink(tmp.c_str());
        return std::unexpected(err("fsync", tmp));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return std::unexpected(err("rename", tmp));
    }
    Fd dir(::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.fd >= 0) (void)::fsync(dir.fd);
    return {};
}

std::expected<proto::nts::KeyRing, std::string> refresh_keys(const std::string& path,
                                                             int64_t now_unix_s,
                                                             int64_t rotation_s) {
    proto::nts::KeyRing ring;
    if (!path.empty()) {
        auto loaded = load_key_file(path);
        if (!loaded) return std::unexpected(loaded.error());
        ring = *loaded;
    }
    if (!proto::nts::rotation_due(ring, now_unix_s, rotation_s)) return ring;
    proto::nts::MasterKey k;
    k.created_unix_s = now_unix_s;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(k.key.data()), int(k.key.size())) != 1 ||
        RAND_bytes(reinterpret_cast<unsigned char*>(&k.id), sizeof k.id) != 1)
        return std::unexpected("no randomness for a new NTS master key");
    ring.add(k);
    if (!path.empty()) {
        auto saved = save_key_file(path, ring);
        if (!saved) return std::unexpected(saved.error());
    }
    return ring;
}

}  // namespace ntplite::daemon::nts
