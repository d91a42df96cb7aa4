// The NTS server's master keys at the edge: loaded from and saved to the key file in the state
// directory (a safe write: O_EXCL|O_NOFOLLOW temporary, fsync, rename, like the drift file),
// rotated on a timer, and published to the threads that make or open cookies. Several servers
// may share one key file: before rotating, the file is read again, so a key another server
// added is adopted instead of racing it with a new one.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <mutex>
#include <string>

#include "proto/nts/crypto/cookie.hpp"

namespace ntplite::daemon::nts {

/// Hands the current key ring to other threads. Readers poll version() (one relaxed load, cheap
/// enough per batch) and copy the ring only when it changed.
class KeyRingPublisher {
  public:
    void publish(const proto::nts::KeyRing& ring) {
        std::lock_guard lock(mutex_);
        ring_ = ring;
        version_.fetch_add(1, std::memory_order_release);
    }
    uint64_t version() const { return version_.load(std::memory_order_acquire); }
    proto::nts::KeyRing read() const {
        std::lock_guard lock(mutex_);
        return ring_;
    }

  private:
    mutable std::mutex mutex_;
    proto::nts::KeyRing ring_;
    std::atomic<uint64_t> version_{0};
};

/// Reads the key file; a missing file is an empty ring, a malformed one an error message.
std::expected<proto::nts::KeyRing, std::string> load_key_file(const std::string& path);
/// Writes the key file safely (mode 0600: the keys decrypt every client's cookies).
std::expected<void, std::string> save_key_file(const std::string& path,
                                               const proto::nts::KeyRing& ring);

/// Load, rotate if due (or if the file had no key), save when changed. `now_unix_s` is the wall
/// clock. Returns the ring to publish, or why the file could not be used.
std::expected<proto::nts::KeyRing, std::string> refresh_keys(const std::string& path,
                                                             int64_t now_unix_s,
                                                             int64_t rotation_s);

}  // namespace ntplite::daemon::nts
