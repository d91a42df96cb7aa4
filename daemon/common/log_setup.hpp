// Log output for a terminal, a file or the systemd journal (spdlog on stderr).
#pragma once

#include "config/config.hpp"

namespace ntplite::daemon {

/// True when stderr is the systemd journal's stream: systemd sets JOURNAL_STREAM to the
/// "device:inode" of the stream it connected, which must still be our stderr.
bool stderr_is_journal();

/// Installs the "ntpd-lite" stderr logger as spdlog's default. Under the journal each line is
/// "<N>message" (N the syslog priority, which journald strips and stores, so `journalctl -p
/// warning` works; journald adds its own timestamps); elsewhere "2026-11-29T20:43:07.123Z info
/// message" with UTC time.
void setup_logging(bool journal, config::LogLevel level);

/// Applies a new [log] level (reload).
void set_log_level(config::LogLevel level);

}  // namespace ntplite::daemon
