#include "daemon/control/platform.hpp"

#include <sys/utsname.h>

#include <string>

namespace ntplite::daemon {

void fill_platform(SystemSnapshot& system) {
    utsname u{};
    if (uname(&u) != 0) return;
    system.processor = u.machine;
    system.system = std::string(u.sysname) + "/" + u.release;
}

}  // namespace ntplite::daemon
