#!/bin/sh
# Install, upgrade (version N-1 -> N) and purge test of the ntpd-lite .deb in a throwaway
# Debian 12 root made by mmdebstrap from Debian's package registry. Nothing is installed on this
# machine. Nothing is started in the root: a policy-rc.d refuses every service start, there is
# no systemd running (checked: no process ever runs inside the root), and every command in the
# root runs without CAP_SYS_TIME.
# Version N-1 is build-deb/'s package (scripts/build-deb.sh); version N is the same tree with a
# new debian/changelog entry (N-1's Debian revision + 1), built by dpkg-buildpackage in
# build-deb's scratch copy of the tree reusing its compiled objects (-nc), so only packaging
# runs again. The changelog is restored afterwards.
# Usage: scripts/test-deb-install.sh [BUILD_DEB_DIR]   (default build-deb)
# Needs: mmdebstrap (apt-get install mmdebstrap), root, network access to deb.debian.org.
set -eu
cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-build-deb}")
SRC="$OUT/src/ntp-lite"
OLD_DEB=$(ls -t "$OUT"/ntpd-lite_*.deb 2>/dev/null | head -1)
[ -n "$OLD_DEB" ] && [ -f "$OLD_DEB" ] && [ -f "$SRC/debian/changelog" ] ||
    { echo "no .deb and build tree in $OUT (run scripts/build-deb.sh first)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (chroot)"; exit 1; }
ROOT=$(mktemp -d /tmp/ntplite-debroot.XXXXXX)
NEW=$(mktemp -d /tmp/ntplite-debnew.XXXXXX)
cleanup() {
    umount "$ROOT/proc" 2>/dev/null || true
    rm -rf "$ROOT" "$NEW" "$ROOT.mmdebstrap.log"
    [ -f "$SRC/debian/changelog.orig" ] && mv "$SRC/debian/changelog.orig" "$SRC/debian/changelog"
    return 0
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
in_root() { setpriv --bounding-set=-sys_time --inh-caps=-sys_time chroot "$ROOT" "$@"; }
# Processes whose root directory is the throwaway root: none may ever exist outside in_root.
nothing_runs_in_root() {
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] || continue
        fail "$1: a process runs inside the root: $(tr '\0' ' ' < "$p/cmdline")"
    done
}

# Version N: N-1's changelog plus one entry (what `dch -i` would write).
OLD_VERSION=$(dpkg-deb -f "$OLD_DEB" Version)
NEW_VERSION="${OLD_VERSION%-*}-$((${OLD_VERSION##*-} + 1))"
echo "== version N-1 = $OLD_VERSION ($OLD_DEB); building N = $NEW_VERSION"
cp "$SRC/debian/changelog" "$SRC/debian/changelog.orig"
{
    printf 'ntp-lite (%s) unstable; urgency=medium\n\n' "$NEW_VERSION"
    printf '  * Upgrade test build (scripts/test-deb-install.sh).\n\n'
    printf ' -- ntp-lite developers <dev@ntp-lite.invalid>  %s\n\n' "$(date -R)"
    cat "$SRC/debian/changelog.orig"
} > "$SRC/debian/changelog"
start=$(date +%s)
(cd "$SRC" && dpkg-buildpackage -us -uc -b -nc) > "$NEW/dpkg-buildpackage.log" 2>&1 ||
    { tail -30 "$NEW/dpkg-buildpackage.log"; fail "building version $NEW_VERSION"; }
mv "$SRC/debian/changelog.orig" "$SRC/debian/changelog"
DEB=$(ls "$OUT"/src/ntpd-lite_"$NEW_VERSION"_*.deb)
mv "$DEB" "$NEW/"; rm -f "$OUT"/src/*_"$NEW_VERSION"_*
DEB="$NEW/$(basename "$DEB")"
[ "$(dpkg-deb -f "$DEB" Version)" = "$NEW_VERSION" ] || fail "built package is not $NEW_VERSION"
echo "built $DEB in $(($(date +%s) - start)) s"

echo "== mmdebstrap bookworm into $ROOT"
# systemd for systemctl/deb-systemd-helper (never booted here); systemd-timesyncd, which the
# package replaces (both provide and conflict with time-daemon).
mmdebstrap --variant=apt --include=systemd,systemd-timesyncd,adduser,man-db \
    bookworm "$ROOT" http://deb.debian.org/debian > "$ROOT.mmdebstrap.log" 2>&1 ||
    { tail -20 "$ROOT.mmdebstrap.log"; fail "mmdebstrap"; }
mount -t proc proc "$ROOT/proc"
# After mmdebstrap, not in a customize hook: mmdebstrap removes its own policy-rc.d (and one a
# hook wrote) when it finishes, which left the root without one.
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
cp "$OLD_DEB" "$ROOT/tmp/ntpd-lite-old.deb"
cp "$DEB" "$ROOT/tmp/ntpd-lite.deb"
[ ! -d "$ROOT/run/systemd/system" ] || fail "the root looks booted (/run/systemd/system)"
[ -x "$ROOT/usr/sbin/policy-rc.d" ] || fail "no policy-rc.d in the root"
WANTS=/etc/systemd/system/multi-user.target.wants/ntpd-lite.service

# 1. Version N-1, while a time daemon from outside the package system (a local chrony.service,
#    enabled) is in use: installed (timesyncd replaced: time-daemon), user created, not enabled.
printf '[Unit]\nDescription=local chrony\n[Service]\nExecStart=/bin/false\n[Install]\nWantedBy=multi-user.target\n' \
    > "$ROOT/etc/systemd/system/chrony.service"
in_root systemctl enable chrony.service > /dev/null 2>&1 || fail "enable the local chrony unit"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/ntpd-lite-old.deb > "$ROOT/tmp/install1.log" 2>&1 ||
    { cat "$ROOT/tmp/install1.log"; fail "install"; }
grep -q "Removing systemd-timesyncd" "$ROOT/tmp/install1.log" || { cat "$ROOT/tmp/install1.log"; fail "timesyncd not replaced"; }
grep -q "not enabled or started: chrony.service is in use" "$ROOT/tmp/install1.log" ||
    { cat "$ROOT/tmp/install1.log"; fail "no notice about chrony.service"; }
[ ! -e "$ROOT$WANTS" ] || fail "enabled although chrony.service is enabled"
in_root getent passwd ntpd-lite > /dev/null || fail "user ntpd-lite not created"
# Numeric ids: names would be looked up in this machine's /etc/passwd, not the root's.
[ "$(stat -c %u "$ROOT/var/lib/ntpd-lite")" = "$(in_root id -u ntpd-lite)" ] || fail "/var/lib/ntpd-lite not owned by ntpd-lite"
for f in /usr/sbin/ntpd-lite /usr/bin/ntpq-lite /etc/ntpd-lite/ntpd-lite.toml /lib/systemd/system/ntpd-lite.service \
    /lib/systemd/system/ntpd-lite-wait.service /usr/share/man/man8/ntpd-lite.8.gz /usr/share/man/man5/ntpd-lite.toml.5.gz \
    /usr/share/man/man1/ntpq-lite.1.gz; do
    [ -e "$ROOT$f" ] || fail "$f missing"
done
grep -q "^/etc/ntpd-lite/ntpd-lite.toml" "$ROOT/var/lib/dpkg/info/ntpd-lite.conffiles" || fail "config is not a conffile"
in_root ntpd-lite --version | grep -q "^ntpd-lite " || fail "ntpd-lite --version in the root"
in_root ntpd-lite --check-config /etc/ntpd-lite/ntpd-lite.toml > "$ROOT/tmp/check.log" 2>&1 ||
    { cat "$ROOT/tmp/check.log"; fail "the shipped config does not pass --check-config"; }
in_root man -l /usr/share/man/man8/ntpd-lite.8.gz > /dev/null 2>&1 || fail "man page"
[ "$(in_root dpkg-query -W -f '${Version}' ntpd-lite)" = "$OLD_VERSION" ] || fail "N-1 not installed"
nothing_runs_in_root "install of $OLD_VERSION"
pass "install $OLD_VERSION: replaces systemd-timesyncd (time-daemon); files, conffile, user, state dir; not enabled next to an enabled chrony.service; nothing started"

# 2. Upgrade N-1 -> N with a locally changed conffile (the package's own copy did not change, so
#    dpkg keeps the local one without asking) and state in /var/lib/ntpd-lite (a drift file as
#    the daemon writes it): both kept, the user and its uid kept, nothing started.
echo "# local change" >> "$ROOT/etc/ntpd-lite/ntpd-lite.toml"
conf_sum=$(md5sum < "$ROOT/etc/ntpd-lite/ntpd-lite.toml")
uid=$(in_root id -u ntpd-lite)
printf '12.345\n' > "$ROOT/var/lib/ntpd-lite/drift"
chown "$uid" "$ROOT/var/lib/ntpd-lite/drift"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/ntpd-lite.deb > "$ROOT/tmp/upgrade.log" 2>&1 ||
    { cat "$ROOT/tmp/upgrade.log"; fail "upgrade to $NEW_VERSION"; }
grep -q "Unpacking ntpd-lite ($NEW_VERSION) over ($OLD_VERSION)" "$ROOT/tmp/upgrade.log" ||
    { cat "$ROOT/tmp/upgrade.log"; fail "not an upgrade from $OLD_VERSION to $NEW_VERSION"; }
[ "$(in_root dpkg-query -W -f '${Version} ${Status}' ntpd-lite)" = "$NEW_VERSION install ok installed" ] ||
    fail "$NEW_VERSION not installed"
[ "$(md5sum < "$ROOT/etc/ntpd-lite/ntpd-lite.toml")" = "$conf_sum" ] || fail "local conffile change lost"
[ ! -e "$ROOT/etc/ntpd-lite/ntpd-lite.toml.dpkg-new" ] && [ ! -e "$ROOT/etc/ntpd-lite/ntpd-lite.toml.dpkg-dist" ] ||
    fail "dpkg left a .dpkg-new/.dpkg-dist next to an unchanged conffile"
[ "$(cat "$ROOT/var/lib/ntpd-lite/drift")" = 12.345 ] || fail "state (drift file) lost in the upgrade"
[ "$(stat -c %u "$ROOT/var/lib/ntpd-lite" "$ROOT/var/lib/ntpd-lite/drift" | sort -u)" = "$uid" ] ||
    fail "state directory ownership changed"
[ "$(in_root id -u ntpd-lite)" = "$uid" ] || fail "user ntpd-lite re-created with another uid"
[ ! -e "$ROOT$WANTS" ] || fail "the upgrade enabled it next to an enabled chrony.service"
nothing_runs_in_root "upgrade to $NEW_VERSION"
pass "upgrade $OLD_VERSION -> $NEW_VERSION: local conffile kept (no prompt), drift file and its owner kept, same uid $uid, still not enabled, nothing started"

# 3. Purge: config, state, user gone.
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ntpd-lite > "$ROOT/tmp/purge.log" 2>&1 ||
    { cat "$ROOT/tmp/purge.log"; fail "purge"; }
for f in /etc/ntpd-lite /var/lib/ntpd-lite /usr/sbin/ntpd-lite /lib/systemd/system/ntpd-lite.service; do
    [ ! -e "$ROOT$f" ] || fail "$f left after purge"
done
in_root getent passwd ntpd-lite > /dev/null && fail "user left after purge"
nothing_runs_in_root "purge"
pass "purge removes config, state directory and user"

# 4. No other time daemon: the package enables ntpd-lite (it would start at boot).
in_root systemctl disable chrony.service > /dev/null 2>&1 || fail "disable chrony.service"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/ntpd-lite.deb > "$ROOT/tmp/install2.log" 2>&1 ||
    { cat "$ROOT/tmp/install2.log"; fail "second install"; }
[ -L "$ROOT$WANTS" ] || fail "not enabled on a machine without another time daemon"
nothing_runs_in_root "install without another time daemon (enabled, but no systemd to start it)"
in_root systemctl is-enabled ntpd-lite.service | grep -q enabled || fail "systemctl is-enabled"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ntpd-lite > /dev/null 2>&1 || fail "second purge"
[ ! -e "$ROOT$WANTS" ] || fail "enablement left after purge"
pass "without another time daemon it is enabled; purge disables it"
echo "ALL PACKAGE TESTS PASSED"
