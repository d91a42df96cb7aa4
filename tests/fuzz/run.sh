#!/bin/sh
# Builds every libFuzzer target (tests/fuzz/fuzz_*.cpp) with clang-16 and runs each for a bounded
# time on its committed corpus (tests/fuzz/corpus/<target>/). Usage: run.sh [seconds-per-target]
# libstdc++ 12 hides std::expected unless __cpp_concepts >= 202002L, which clang-16 does not claim;
# the define below is the checked work-around (../shared/TOOLCHAIN.md). The fuzzed code (proto/)
# needs no Boost.
set -eu
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${1:-30}
OUT=build-fuzz
mkdir -p "$OUT"
CXXFLAGS="-std=c++2b -O1 -g -Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L \
-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I."
for src in tests/fuzz/fuzz_*.cpp; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .cpp)
    deps=$(sed -n 's#^// fuzz-sources: ##p' "$src")
    # shellcheck disable=SC2086
    clang++-16 $CXXFLAGS "$src" $deps -o "$OUT/$name"
    corpus="tests/fuzz/corpus/${name#fuzz_}"
    mkdir -p "$corpus" "$OUT/corpus-$name"
    echo "-- $name: ${SECONDS_PER_TARGET}s on $corpus"
    "$OUT/$name" -max_total_time="$SECONDS_PER_TARGET" -max_len=2048 -print_final_stats=1 \
        "$OUT/corpus-$name" "$corpus" 2>"$OUT/$name.log" || { tail -n 50 "$OUT/$name.log"; exit 1; }
    grep -E 'stat::number_of_executed_units|stat::new_units_added|Done [0-9]+ runs' "$OUT/$name.log" || true
done
