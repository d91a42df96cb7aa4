#!/bin/sh
# Issue 12, the pool variant of test_monitor_unresolved.sh: a [[source]] mode = "pool" whose name
# does not resolve is a row in `peers` (state "unresolved", the resolver's error as the reason),
# in the JSON snapshot and in Prometheus; once the hosts fixture gains the name, `ntpq-lite
# resync` re-resolves the pool at once (not after the retry backoff) and its member is polled
# and selected.
# Name resolution never reaches the system resolver: everything runs in a private network and
# mount namespace (unshare -n -m) whose /etc/hosts is a fixture of this test and whose
# resolv.conf points at a loopback port where no DNS server listens.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/monitor_tools.sh"

NAME=pool.ntplite-test.invalid
printf '127.0.0.1 localhost\n' > "$T/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$T/resolv.conf"
cat > "$T/chrony.conf" <<CONF
port 14196
bindaddress 127.0.0.2
local stratum 10
allow 127.0.0.0/8
cmdport 0
bindcmdaddress /
pidfile $T/chronyd-ns.pid
CONF
cat > "$T/ntpd.toml" <<CONF
[[server]]
listen = "127.0.0.1:14195"
threads = 1

[[source]]
mode = "pool"
address = "$NAME:14196"
max_sources = 2
iburst = true
minpoll = 0
maxpoll = 0

[control]
socket = "$T/control.sock"

[metrics]
listen = "127.0.0.1:14197"

[clock]
mode = "observe"

[log]
level = "debug"
CONF
cat > "$T/inner.sh" <<INNER
set -eu
ip link set lo up
mount --bind "$T/hosts" /etc/hosts
mount --bind "$T/resolv.conf" /etc/resolv.conf
$DROP_TIME chronyd -x -d -f "$T/chrony.conf" > "$T/chronyd-ns.log" 2>&1 &
C=\$!
$DROP_TIME "$NTPD" --config "$T/ntpd.toml" > "$T/ntpd.log" 2>&1 &
N=\$!
trap 'kill \$C \$N 2>/dev/null; wait' EXIT
fail() { echo "FAIL: \$*" >&2; exit 1; }
# 1. The unresolved name is a row with the resolver's error.
end=\$((\$(date +%s) + 15))
until "$NTPQ" peers --host 127.0.0.1 --port 14195 > "$T/peers1.txt" 2>&1 &&
      grep -q "unresolved" "$T/peers1.txt"; do
    [ \$(date +%s) -lt \$end ] || fail "no unresolved row: \$(cat "$T/peers1.txt")"
    sleep 0.5
done
"$NTPQ" snapshot --socket "$T/control.sock" > "$T/snap1.json"
python3 -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
    http://127.0.0.1:14197/metrics > "$T/metrics1.txt"
# 2. The name appears in the hosts fixture right after the second failed attempt, whose
#    backoff puts the next automatic try 4 s away; resync re-resolves it and the source gets
#    selected.
end=\$((\$(date +%s) + 10))
until grep -q "pool $NAME:14196: resolution failed again .*next try in 4 s" "$T/ntpd.log"; do
    [ \$(date +%s) -lt \$end ] || fail "no second resolve attempt: \$(tail -5 "$T/ntpd.log")"
    sleep 0.1
done
printf '127.0.0.1 localhost\n127.0.0.2 $NAME\n' > "$T/hosts.new"
cat "$T/hosts.new" > "$T/hosts"
"$NTPQ" resync --socket "$T/control.sock" > "$T/resync.txt" 2>&1 || fail "resync: \$(cat "$T/resync.txt")"
# Re-resolved by the resync, not by the backoff timer (4 s away): the member shows up at once.
end=\$((\$(date +%s) + 2))
until grep -q "pool $NAME:14196: polling 127.0.0.2:14196" "$T/ntpd.log"; do
    [ \$(date +%s) -lt \$end ] || fail "resync did not re-resolve the pool within 2 s: \$(tail -5 "$T/ntpd.log")"
    sleep 0.2
done
end=\$((\$(date +%s) + 20))
until "$NTPQ" status --host 127.0.0.1 --port 14195 > "$T/status2.txt" 2>&1; do
    [ \$(date +%s) -lt \$end ] || fail "not synchronized after resync: \$(cat "$T/status2.txt")"
    sleep 0.5
done
"$NTPQ" peers --host 127.0.0.1 --port 14195 > "$T/peers2.txt" 2>&1
INNER
rc=0; unshare -n -m sh "$T/inner.sh" || rc=$?
cat "$T/peers1.txt" "$T/resync.txt" "$T/peers2.txt" 2>/dev/null || true
[ $rc = 0 ] || fail "namespace part failed (rc $rc)"
grep -q "^ $NAME" "$T/peers1.txt" || fail "the name is not a row of peers"
grep -q "unresolved .*resolve" "$T/peers1.txt" || fail "no resolver error as the reason"
[ "$(json_get "$T/snap1.json" '[s["state"] for s in j["sources"] if s["name"].startswith("'$NAME'")][0]')" = unresolved ] ||
    fail "snapshot: no unresolved source"
grep -q "ntpd_lite_source_state{source=\"$NAME.*state=\"unresolved\"} 1" "$T/metrics1.txt" ||
    fail "Prometheus: no unresolved source"
grep -q "^\*127\.0\.0\.2 " "$T/peers2.txt" || fail "after resync the resolved source is not selected"
n_fail=$(grep -c "cannot resolve \"$NAME\"" "$T/ntpd.log" || true)
[ "$n_fail" = 1 ] || fail "the resolve failure was logged $n_fail times (want once: one line per transition)"
pass "unresolved pool name: a row with the resolver's error in peers/snapshot/metrics; resync re-resolves it at once and its member is selected"
