// Reading config and state files from disk: the only part of config/ that makes system calls,
// kept in its own target (ntplite_config_os) so the parser and validator stay pure.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace ntplite::config {

/// Reads a regular file of at most `max_bytes` (directories, FIFOs, devices and larger files are
/// refused with a one-line reason; a FIFO never blocks). For config and state files.
std::expected<std::string, std::string> read_small_file(const std::string& path,
                                                        std::size_t max_bytes);

/// Reads and validates a config file. On failure returns every problem found, in file order.
std::expected<Config, std::vector<ConfigError>> load_file(const std::string& path);

}  // namespace ntplite::config
