#!/bin/sh
# Privilege drop: started as root, ntpd-lite binds 127.0.0.61:123 (a root-only port), creates its
# pid file and control socket, then switches to [daemon] user (here "nobody") with libcap-ng. Every
# thread's Uid/Gid and capabilities in /proc must match: in observe mode no capability at all; in
# discipline mode (only under the clock shim) CAP_SYS_TIME would be kept, but the test drops it
# from the bounding set so the real clock is never reachable, and the daemon must then run on
# without it (observe only) and say so. The files it still writes are handed to the user.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/shim/shim.sh"
PROBE="python3 $NTPLITE_SRC/tests/system/server_probe.py"
NOBODY_UID=$(id -u nobody); NOBODY_GID=$(id -g nobody)
RUN="$T/ntpd-lite-run"

# check_threads PID WANT_CAPEFF: every thread runs as nobody with that effective set.
check_threads() {
    n=0
    for st in /proc/$1/task/*/status; do
        n=$((n+1))
        uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$st"); gid=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$st")
        [ "$uid" = "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" ] || fail "$st Uid: $uid"
        [ "$gid" = "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" ] || fail "$st Gid: $gid"
        [ -z "$(awk '/^Groups:/ {print $2}' "$st")" ] || fail "$st keeps supplementary groups"
        for c in CapEff CapPrm; do
            v=$(awk "/^$c:/ {print \$2}" "$st")
            [ "$v" = "$2" ] || fail "$st $c=$v, want $2"
        done
        [ "$(awk '/^CapAmb:/ {print $2}' "$st")" = 0000000000000000 ] || fail "$st has ambient capabilities"
    done
    [ $n -ge 2 ] || fail "expected the engine and worker threads, found $n"
    THREADS=$n
}

cat > "$T/observe.toml" <<CONF
[daemon]
user = "nobody"
pidfile = "$RUN/ntpd-lite.pid"
[clock]
mode = "observe"
[local]
stratum = 7
[control]
socket = "$RUN/control.sock"
[[server]]
listen = "127.0.0.61:123"
threads = 2
CONF
chmod a+rx "$T"
$DROP_TIME "$NTPD" --config "$T/observe.toml" > "$T/observe.log" 2>&1 &
NTPD_PID=$!; _PIDS="$_PIDS $NTPD_PID"; LOG="$T/observe.log"
wait_log "running as nobody (uid $NOBODY_UID, gid $NOBODY_GID), capabilities: none" 5
sleep 0.2
check_threads "$NTPD_PID" 0000000000000000
[ "$(awk '/^CapBnd:/ {print $2}' /proc/$NTPD_PID/status)" = 0000000000000000 ] || fail "bounding set not cleared"
pass "observe mode: all $THREADS threads uid/gid nobody, CapEff=CapPrm=CapBnd=0, no groups"
[ "$($PROBE 127.0.0.61 123 | python3 -c 'import json,sys; print(json.load(sys.stdin)["normal"])')" = 1 ] ||
    fail "no answer on 127.0.0.61:123 after the drop"
for f in "$RUN" "$RUN/ntpd-lite.pid" "$RUN/control.sock"; do
    [ "$(stat -c %u "$f")" = "$NOBODY_UID" ] || fail "$f not handed to nobody"
done
"$NTPQ" snapshot --socket "$RUN/control.sock" --json > /dev/null || fail "control socket after the drop"
kill -TERM "$NTPD_PID"; wait "$NTPD_PID" || fail "exit status after SIGTERM"
[ ! -e "$RUN/ntpd-lite.pid" ] && [ ! -e "$RUN/control.sock" ] || fail "files left: $(ls -l "$RUN")"
pass "port 123 bound before the drop still serves; pid file/socket given to nobody and removed at exit"

# Discipline mode under the clock shim, CAP_SYS_TIME out of the bounding set (as every test).
[ -f "$SHIM_LIB" ] || fail "clock shim not built"
start_chronyd_server 12431 127.0.0.1
mkdir -m 1777 "$T/shim"
cat > "$T/disc.toml" <<CONF
[daemon]
user = "nobody"
[clock]
mode = "discipline"
drift_file = "$T/ntpd-lite-state/drift"
[[source]]
address = "127.0.0.1:12431"
iburst = true
minpoll = -1
maxpoll = 1
CONF
mkdir "$T/ntpd-lite-state"
start_under_clock_shim 0 0 "$T/shim/disc.state" "$NTPD" --config "$T/disc.toml" > "$T/disc.log" 2>&1
NTPD_PID=$SHIM_PID; LOG="$T/disc.log"
[ "$(readlink "/proc/$NTPD_PID/exe")" = "$(readlink -f "$NTPD")" ] || fail "pid $NTPD_PID is not ntpd-lite"
grep -q libntplite_clock_shim "/proc/$NTPD_PID/maps" || fail "the shim is not loaded"
wait_log "capabilities: none (CAP_SYS_TIME was not available: the clock is observed, not adjusted)" 5
wait_log "sync: update 2: offset" 20
check_threads "$NTPD_PID" 0000000000000000
[ "$(stat -c %u "$T/ntpd-lite-state")" = "$NOBODY_UID" ] || fail "drift directory not handed to nobody"
bnd=$(awk '/^CapBnd:/ {print $2}' /proc/$NTPD_PID/status)
[ $(( (0x$bnd >> 25) & 1 )) -eq 0 ] || fail "CAP_SYS_TIME back in the bounding set"
kill -0 "$NTPD_PID" || fail "daemon exited"
pass "discipline mode without CAP_SYS_TIME in the bounding set: runs as nobody with none, says so, keeps measuring (the shim's emulated clock only)"
