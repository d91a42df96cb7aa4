#!/bin/sh
# Builds the Debian package with Debian's own tooling (dpkg-buildpackage, debian/) from a copy
# of the working tree, then checks it with lintian. Never installs anything on this machine.
# Usage: scripts/build-deb.sh [OUT_DIR]   (default build-deb/; the .deb and lintian.txt go there)
# Lintian errors fail the script; warnings are listed in OUT_DIR/lintian.txt.
set -eu
cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-build-deb}")
SRC="$OUT/src/ntp-lite"   # a fixed path, so ccache hits on the next run
rm -rf "$OUT/src" && mkdir -p "$SRC"
# Tracked and new (not ignored) files: what a commit of this tree would contain.
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$SRC"
command -v ccache >/dev/null 2>&1 && export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
export DEB_BUILD_OPTIONS="parallel=${NTPLITE_JOBS:-2} ${DEB_BUILD_OPTIONS:-}"
(cd "$SRC" && dpkg-buildpackage -us -uc -b) > "$OUT/dpkg-buildpackage.log" 2>&1 || {
    tail -40 "$OUT/dpkg-buildpackage.log"; echo "dpkg-buildpackage failed (log: $OUT/dpkg-buildpackage.log)"; exit 1; }
rm -f "$OUT"/*.deb
mv "$OUT"/src/*.deb "$OUT"/src/*.changes "$OUT"/src/*.buildinfo "$OUT"/ 2>/dev/null || true
DEB=$(ls "$OUT"/ntpd-lite_*.deb | head -1)
echo "built $DEB"
dpkg-deb -c "$DEB" | awk '{print $6}' > "$OUT/contents.txt"
# --fail-on error: warnings are reported, not fatal. Tags shown with their explanations off.
set +e
lintian --fail-on error --display-info "$DEB" > "$OUT/lintian.txt" 2>&1
rc=$?
set -e
echo "lintian: $(grep -c '^E:' "$OUT/lintian.txt") error(s), $(grep -c '^W:' "$OUT/lintian.txt") warning(s), $(grep -c '^I:' "$OUT/lintian.txt") info (full list: $OUT/lintian.txt)"
cat "$OUT/lintian.txt"
exit $rc
