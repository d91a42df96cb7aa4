// Issue 14: the drift file's temporary is never followed through a symlink, its mode does not
// depend on the umask, and a FIFO or directory in place of the drift file is refused at once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "clock/os/drift_file.hpp"

namespace ntplite::clock {
namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/ntplite-drift-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(DriftFileSafety, SymlinkAtTheTemporaryIsNotFollowed) {
    TempDir d;
    const std::string victim = d.path + "/victim";
    { std::ofstream(victim) << "precious\n"; }
    const std::string drift = d.path + "/drift";
    ASSERT_EQ(::symlink(victim.c_str(), (drift + ".tmp").c_str()), 0);
    ASSERT_TRUE(save_drift_file(drift, 12.5));
    EXPECT_EQ(slurp(victim), "precious\n");  // was: overwritten with "12.500000\n"
    EXPECT_EQ(slurp(drift), "12.500000\n");
    struct stat st {};
    ASSERT_EQ(::lstat((drift + ".tmp").c_str(), &st), -1);  // the temporary is gone
}

TEST(DriftFileSafety, ModeDoesNotDependOnTheUmask) {
    TempDir d;
    const std::string drift = d.path + "/drift";
    const mode_t old = ::umask(0077);
    auto r = save_drift_file(drift, -3.25);
    ::umask(old);
    ASSERT_TRUE(r);
    struct stat st {};
    ASSERT_EQ(::stat(drift.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(DriftFileSafety, FifoOrDirectoryIsUnreadableWithoutBlocking) {
    TempDir d;
    const std::string fifo = d.path + "/fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto r = load_drift_file(fifo);  // was: blocked until a writer appeared
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), DriftError::kUnreadable);
    auto dir = load_drift_file(d.path);
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error(), DriftError::kUnreadable);
}

}  // namespace
}  // namespace ntplite::clock
