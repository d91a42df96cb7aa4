#!/bin/sh
# Builds every libFuzzer target (tests/fuzz/fuzz_*.cpp) with clang-16 and runs each for a bounded
# time on its committed corpus (tests/fuzz/corpus/<target>/). Usage: run.sh [seconds-per-target]
# [target-name...]. A target names the sources it links in a "// fuzz-sources:" line and any
# extra compiler flags in a "// fuzz-flags:" line.
# libstdc++ 12 hides std::expected unless __cpp_concepts >= 202002L, which clang-16 does not claim;
# the define below is the checked work-around (../shared/TOOLCHAIN.md). Boost.Asio 1.74 uses
# std::exchange without <utility>, hence -include utility.
# Environment: FUZZ_RUNS=N runs N executions instead of a time limit (for the long recorded run).
set -eu
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${1:-10}
[ $# -gt 0 ] && shift
OUT=build-fuzz
mkdir -p "$OUT"
CXXFLAGS="-std=c++2b -O1 -g -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
-include utility -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I."
if [ $# -gt 0 ]; then
    targets=""
    for t in "$@"; do targets="$targets tests/fuzz/$t.cpp"; done
else
    targets=$(ls tests/fuzz/fuzz_*.cpp)
fi
for src in $targets; do
    [ -e "$src" ] || { echo "no such fuzz target: $src"; exit 1; }
    name=$(basename "$src" .cpp)
    deps=$(sed -n 's#^// fuzz-sources: ##p' "$src")
    flags=$(sed -n 's#^// fuzz-flags: ##p' "$src")
    # Rebuild only when the target or one of its sources changed (the objects are not cached).
    newest=$(ls -t "$src" $deps $(sed -n 's#^\#include "\(.*\)"#\1#p' "$src" $deps | sort -u) \
        2>/dev/null | head -n 1)
    if [ ! -x "$OUT/$name" ] || [ "$newest" -nt "$OUT/$name" ]; then
        # shellcheck disable=SC2086
        clang++-16 $CXXFLAGS $flags "$src" $deps -o "$OUT/$name"
    fi
    corpus="tests/fuzz/corpus/${name#fuzz_}"
    mkdir -p "$corpus" "$OUT/corpus-$name"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        limit="-runs=$FUZZ_RUNS"
        echo "-- $name: $FUZZ_RUNS runs on $corpus"
    else
        limit="-max_total_time=$SECONDS_PER_TARGET"
        echo "-- $name: ${SECONDS_PER_TARGET}s on $corpus"
    fi
    "$OUT/$name" $limit -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "$OUT/corpus-$name" "$corpus" 2>"$OUT/$name.log" || { tail -n 60 "$OUT/$name.log"; exit 1; }
    grep -E 'stat::number_of_executed_units|stat::new_units_added|cov: [0-9]+' "$OUT/$name.log" |
        tail -n 3 || true
done
