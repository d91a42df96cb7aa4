#!/bin/sh
# The whole test suite: set-up (apt + build), then
#  1. every test (unit, simulation, system) in the -Werror build;
#  2. unit and simulation tests again in an ASan+UBSan build;
#  3. the clang-16 libFuzzer targets for a bounded time on their committed corpora;
#  4. the simulator-compatible build (poll reactor, one thread) is built;
#  5. the Debian package is built (dpkg-buildpackage) and checked with lintian (no errors).
# The package's install/upgrade/purge test in a throwaway root (scripts/test-deb-install.sh)
# downloads a Debian base system and is run separately.
# Files for people (the status page screenshot, the lintian report) are collected in
# artifacts/ at the top of the tree (NTPLITE_ARTIFACTS overrides); .ci/run prints its path, and
# the run fails if the screenshot the browser test must save is missing.
# Idempotent; never touches the system clock.
set -eu
cd "$(dirname "$0")/.."
NTPLITE_ARTIFACTS=$(realpath -m "${NTPLITE_ARTIFACTS:-artifacts}")
export NTPLITE_ARTIFACTS
rm -rf "$NTPLITE_ARTIFACTS" && mkdir -p "$NTPLITE_ARTIFACTS"
./scripts/setup.sh build

echo "== tests (build/)"
ctest --test-dir build --output-on-failure -j2 --timeout 600

echo "== unit + sim tests under ASan+UBSan (build-asan/)"
launcher=""
command -v ccache >/dev/null 2>&1 && launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
# shellcheck disable=SC2086
cmake -S . -B build-asan -G Ninja $launcher -DCMAKE_BUILD_TYPE=Debug -DNTPLITE_SANITIZE=ON -DNTPLITE_WERROR=ON >/dev/null
cmake --build build-asan -j2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j2 -LE system --timeout 900

echo "== fuzz targets (bounded)"
./tests/fuzz/run.sh "${NTPLITE_FUZZ_SECONDS:-10}"

if [ -x scripts/build-simcompat.sh ]; then
    echo "== simulator-compatible build"
    ./scripts/build-simcompat.sh
fi
echo "== Debian package + lintian (build-deb/)"
./scripts/build-deb.sh build-deb
cp build-deb/lintian.txt "$NTPLITE_ARTIFACTS/lintian.txt"

echo "== artifacts ($NTPLITE_ARTIFACTS)"
ls -l "$NTPLITE_ARTIFACTS"
[ -s "$NTPLITE_ARTIFACTS/status-page.png" ] ||
    { echo "missing artifact: status-page.png (tests/system/test_monitor_status_page.sh)"; exit 1; }
echo "ALL TESTS PASSED"
