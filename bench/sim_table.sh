#!/bin/sh
# Regenerates the 10-seed simulation table of bench/SIM_RESULTS.md: every tests/sim scenario on
# the shipped defaults (clock/defaults.hpp) over seeds 1..10, on the kernel clock model.
#   bench/sim_table.sh [BUILD_DIR]    (default: build; ~5 s)
# Prints the per-scenario summary (median / worst over the seeds) and then the per-seed rows.
# test_sim's own pass/fail verdict is not this script's: CI runs 3 seeds and asserts the
# targets; with 10 seeds some assertions fail where a target is not met on every seed, which
# this table shows.
set -eu
B=${1:-build}
cmake --build "$B" --target test_sim >/dev/null
out=$(NTPLITE_SIM_SEEDS=1-10 "$B/tests/test_sim" 2>/dev/null || true)
printf '%s\n' "$out" | sed -n '/^| scenario | seeds/,/^$/p' | grep '^|'
echo
printf '%s\n' "$out" | sed -n '/^| scenario | seed |/,/^$/p' | grep '^|'
