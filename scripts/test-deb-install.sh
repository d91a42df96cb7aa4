#!/bin/sh
# Install, upgrade (reinstall over itself) and purge test of the ntpd-lite .deb in a throwaway
# Debian 12 root made by mmdebstrap from Debian's package registry. Nothing is installed on this
# machine. Nothing is started in the root: a policy-rc.d refuses every service start, there is
# no systemd running, and every command in the root runs without CAP_SYS_TIME.
# Usage: scripts/test-deb-install.sh [DEB]   (default: the newest build-deb/ntpd-lite_*.deb)
# Needs: mmdebstrap (apt-get install mmdebstrap), root, network access to deb.debian.org.
set -eu
cd "$(dirname "$0")/.."
DEB=${1:-$(ls -t build-deb/ntpd-lite_*.deb 2>/dev/null | head -1)}
[ -n "$DEB" ] && [ -f "$DEB" ] || { echo "no .deb (run scripts/build-deb.sh first)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (chroot)"; exit 1; }
ROOT=$(mktemp -d /tmp/ntplite-debroot.XXXXXX)
cleanup() { umount "$ROOT/proc" 2>/dev/null || true; rm -rf "$ROOT"; }
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
in_root() { setpriv --bounding-set=-sys_time --inh-caps=-sys_time chroot "$ROOT" "$@"; }

echo "== mmdebstrap bookworm into $ROOT"
# systemd for systemctl/deb-systemd-helper (never booted here); systemd-timesyncd, which the
# package replaces (both provide and conflict with time-daemon).
mmdebstrap --variant=apt --include=systemd,systemd-timesyncd,adduser,man-db \
    --customize-hook='printf "#!/bin/sh\nexit 101\n" > "$1/usr/sbin/policy-rc.d"; chmod +x "$1/usr/sbin/policy-rc.d"' \
    bookworm "$ROOT" http://deb.debian.org/debian > "$ROOT.mmdebstrap.log" 2>&1 ||
    { tail -20 "$ROOT.mmdebstrap.log"; fail "mmdebstrap"; }
mount -t proc proc "$ROOT/proc"
cp "$DEB" "$ROOT/tmp/ntpd-lite.deb"
WANTS=/etc/systemd/system/multi-user.target.wants/ntpd-lite.service

# 1. A time daemon from outside the package system (a local chrony.service, enabled) is in use:
#    installed (timesyncd replaced: time-daemon), user created, but not enabled.
printf '[Unit]\nDescription=local chrony\n[Service]\nExecStart=/bin/false\n[Install]\nWantedBy=multi-user.target\n' \
    > "$ROOT/etc/systemd/system/chrony.service"
in_root systemctl enable chrony.service > /dev/null 2>&1 || fail "enable the local chrony unit"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/ntpd-lite.deb > "$ROOT/tmp/install1.log" 2>&1 ||
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
pass "install: replaces systemd-timesyncd (time-daemon); files, conffile, user, state dir; not enabled next to an enabled chrony.service"

# 2. Upgrade path (the same version over itself: postinst configure with the old version), with
#    a changed conffile kept.
echo "# local change" >> "$ROOT/etc/ntpd-lite/ntpd-lite.toml"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall -o Dpkg::Options::=--force-confold \
    /tmp/ntpd-lite.deb > "$ROOT/tmp/upgrade.log" 2>&1 || { cat "$ROOT/tmp/upgrade.log"; fail "reinstall"; }
grep -q "^# local change" "$ROOT/etc/ntpd-lite/ntpd-lite.toml" || fail "local conffile change lost"
pass "reinstall (upgrade path) keeps the local conffile change"

# 3. Purge: config, state, user gone.
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ntpd-lite > "$ROOT/tmp/purge.log" 2>&1 ||
    { cat "$ROOT/tmp/purge.log"; fail "purge"; }
for f in /etc/ntpd-lite /var/lib/ntpd-lite /usr/sbin/ntpd-lite /lib/systemd/system/ntpd-lite.service; do
    [ ! -e "$ROOT$f" ] || fail "$f left after purge"
done
in_root getent passwd ntpd-lite > /dev/null && fail "user left after purge"
pass "purge removes config, state directory and user"

# 4. No other time daemon: the package enables ntpd-lite (it would start at boot).
in_root systemctl disable chrony.service > /dev/null 2>&1 || fail "disable chrony.service"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/ntpd-lite.deb > "$ROOT/tmp/install2.log" 2>&1 ||
    { cat "$ROOT/tmp/install2.log"; fail "second install"; }
[ -L "$ROOT$WANTS" ] || fail "not enabled on a machine without another time daemon"
in_root systemctl is-enabled ntpd-lite.service | grep -q enabled || fail "systemctl is-enabled"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ntpd-lite > /dev/null 2>&1 || fail "second purge"
[ ! -e "$ROOT$WANTS" ] || fail "enablement left after purge"
pass "without another time daemon it is enabled; purge disables it"
echo "ALL PACKAGE TESTS PASSED"
