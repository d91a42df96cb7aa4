#!/bin/sh
# Fault table (issue 14, docs/HARDENING.md): the drift file's file system is full. ntpd-lite in
# discipline mode under the clock shim (CAP_SYS_TIME dropped), synced to chronyd -x on loopback,
# saves its drift file every 2 s into a 64 KiB tmpfs that a filler file has filled up. The tmpfs
# is mounted in a private mount namespace this test creates (unshare -m): nothing outside sees it.
# Expected: one warning naming the file and ENOSPC (later failures, the save at exit included, at
# debug level only), the daemon keeps running and disciplining, SIGTERM exits 0, the previous
# drift file stays intact and no temporary file is left; with space back, the next run saves.
set -eu
if [ "${FAULT_IN_MOUNTNS:-}" != 1 ]; then
    FAULT_IN_MOUNTNS=1 exec unshare -m --propagation private "$0" "$@"
fi
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/shim/shim.sh"
. "$NTPLITE_SRC/tests/system/discipline_lib.sh"

UP_PORT=15351
FULL="$T/full"
mkdir "$FULL"
mount -t tmpfs -o size=64k,mode=0755 fault-drift "$FULL"
# Stop the daemons, then unmount, before lib.sh's clean-up removes $T (keeping the exit status).
trap '_rc=$?; set +e
for p in $_PIDS; do kill "$p" 2>/dev/null; done
for p in $_PIDS; do i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; done
umount "$FULL" 2>/dev/null; (exit $_rc); _cleanup' EXIT INT TERM
DRIFT="$FULL/drift"
printf -- '-50.000000\n' > "$DRIFT"
dd if=/dev/zero of="$FULL/filler" bs=4096 2>/dev/null || true  # until ENOSPC
[ "$(df --output=avail "$FULL" | tail -n 1 | tr -d ' ')" = 0 ] || fail "tmpfs not full"

start_chronyd_server $UP_PORT 127.0.0.1 10
export LOGLEVEL=debug
start_ntpd_disciplined full 0 50 \
    "$(discipline_config $UP_PORT "$DRIFT" "drift_save_interval = 2.0")"
wait_log_line full "from the drift file" 5
wait_log_line full "cannot save the drift file $DRIFT: write: No space left on device" 40
pass "save refused: $(grep -o 'cannot save the drift file.*' "$T/full.log" | head -n 1)"
[ "$(cat "$DRIFT")" = "-50.000000" ] || fail "the previous drift file was damaged: '$(cat "$DRIFT")'"
[ ! -e "$DRIFT.tmp" ] || fail "temporary drift file left on the full disk"
# updates NAME: the clock update count from the state the daemon logs on SIGUSR1.
updates() {
    n=$(grep -c 'sync state:' "$T/$1.log" || true)
    kill -USR1 "$NTPD_PID"
    i=0
    while [ "$(grep -c 'sync state:' "$T/$1.log" || true)" -le "$n" ]; do
        i=$((i + 1)); [ $i -lt 50 ] || fail "no state dump"; sleep 0.1
    done
    grep 'sync state:' "$T/$1.log" | tail -n 1 | sed -n 's/.* updates \([0-9]*\) .*/\1/p'
}
u1=$(updates full)
sleep 3
kill -0 "$NTPD_PID" || fail "ntpd-lite died on a full disk"
u2=$(updates full)
[ "$u2" -gt "$u1" ] || fail "no clock updates while the disk was full ($u1 -> $u2)"
# Later failures (a retry when the frequency moved, the save at exit) only at debug level.
[ "$(grep -c 'warning.*cannot save the drift file' "$T/full.log")" = 1 ] ||
    fail "expected exactly one warning: $(grep 'cannot save' "$T/full.log")"
stop_full() {
    kill -TERM "$NTPD_PID"
    rc=0; wait "$NTPD_PID" || rc=$?
    [ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
}
stop_full
grep -q 'debug.*cannot save the drift file' "$T/full.log" || fail "no save attempted at exit"
[ "$(cat "$DRIFT")" = "-50.000000" ] || fail "drift file damaged: '$(cat "$DRIFT")'"
[ ! -e "$DRIFT.tmp" ] || fail "temporary drift file left on the full disk"
pass "disk full: one warning, still disciplining, SIGTERM exits 0, old file intact, no temporary file"

# Space back: the next run saves at exit.
rm -f "$FULL/filler"
start_ntpd_disciplined again 0 50 \
    "$(discipline_config $UP_PORT "$DRIFT" "drift_save_interval = 600.0")"
wait_log_line again "sync: update 8: offset" 30
stop_full
grep -q "drift file $DRIFT saved" "$T/again.log" || fail "no save after space was freed"
printf '%s\n' "$(cat "$DRIFT")" | grep -qE '^-?[0-9]+\.[0-9]{6}$' || fail "drift file '$(cat "$DRIFT")'"
pass "space freed: saved at exit, $(cat "$DRIFT") ppm"
