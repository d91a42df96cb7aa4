// Human and JSON reports of a load generator run.
#pragma once

#include <cstdio>

#include "tools/loadgen/generator.hpp"
#include "tools/loadgen/options.hpp"

namespace ntplite::tools::loadgen {

/// Extra facts about the run that are not per-thread counters.
struct RunInfo {
    double generator_cpu_s = 0;      ///< user+system CPU the generator process used, seconds
    double wall_s = 0;               ///< wall time of the whole run including drain, seconds
    std::size_t request_bytes = 48;  ///< size of each request (larger with NTS), bytes
    double nts_ke_ms = 0;            ///< NTS mode: the key exchange's duration, milliseconds
};

/// Print the totals as readable text.
void print_text(std::FILE* out, const Options& o, const ThreadStats& total, const RunInfo& info);

/// Print the totals as one JSON object (keys carry units: *_per_s, *_us, *_pct).
void print_json(std::FILE* out, const Options& o, const ThreadStats& total, const RunInfo& info);

}  // namespace ntplite::tools::loadgen
