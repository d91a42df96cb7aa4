// Platform facts for monitoring (mode 6 "processor"/"system"): the one uname() call, kept at the
// edge so the pure monitor target (daemon/policy/monitor) makes no system call.
#pragma once

#include "daemon/policy/monitor/control_snapshot.hpp"

namespace ntplite::daemon {

/// uname() facts for SystemSnapshot::processor/system (read once at start-up); left empty if
/// uname fails.
void fill_platform(SystemSnapshot& system);

}  // namespace ntplite::daemon
