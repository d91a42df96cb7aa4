#!/bin/sh
# systemd notification (the sd_notify protocol, spoken without libsystemd) to a test NOTIFY_SOCKET (a Python datagram
# listener): READY=1 with a STATUS= line once sockets are open, STATUS= when the daemon
# synchronizes, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 then READY=1 on SIGHUP and
# STOPPING=1 on SIGTERM. Without NOTIFY_SOCKET nothing is sent (every other test runs so).
. "$NTPLITE_SRC/tests/system/lib.sh"
start_chronyd_server 12441 127.0.0.1
python3 "$NTPLITE_SRC/tests/system/notify_listener.py" "$T/notify.sock" "$T/notify.txt" 60 &
_PIDS="$_PIDS $!"
i=0; while [ ! -S "$T/notify.sock" ]; do i=$((i+1)); [ $i -lt 50 ] || fail "listener"; sleep 0.1; done

printf '[clock]\nmode = "observe"\n[[source]]\naddress = "127.0.0.1:12441"\niburst = true\nminpoll = -1\nmaxpoll = 0\n' > "$T/ntpd.toml"
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=400000 $DROP_TIME "$NTPD" --config "$T/ntpd.toml" > "$T/ntpd.log" 2>&1 &
NTPD_PID=$!; _PIDS="$_PIDS $NTPD_PID"; LOG="$T/ntpd.log"
wait_msg() {  # wait_msg PATTERN SECONDS
    i=0
    while ! grep -q -- "$1" "$T/notify.txt" 2>/dev/null; do
        i=$((i+1)); [ $i -lt $(($2 * 10)) ] || fail "no notification matching '$1': $(cat "$T/notify.txt")"
        sleep 0.1
    done
}
wait_msg "READY=1|STATUS=unsynchronized: \(starting\|no-sources\)$" 5
pass "READY=1 with $(grep -o 'STATUS=unsynchronized: [a-z-]*' "$T/notify.txt" | head -1)"
wait_msg "^[0-9.]* STATUS=synchronized to 127.0.0.1:12441 (stratum 11)$" 15
pass "STATUS=synchronized to 127.0.0.1:12441 (stratum 11)"
sleep 1.2
n=$(grep -c " WATCHDOG=1$" "$T/notify.txt")
[ "$n" -ge 4 ] || fail "$n WATCHDOG=1 in $(awk 'NR==1{a=$1} END{print $1-a}' "$T/notify.txt") s (want one per 0.2 s)"
pass "WATCHDOG=1 every 0.2 s ($n so far)"
kill -HUP "$NTPD_PID"
wait_msg "RELOADING=1|STATUS=reloading configuration|MONOTONIC_USEC=[0-9]*$" 5
wait_log "reload: applied" 5
sed -n '/RELOADING=1/,$p' "$T/notify.txt" | grep -q " READY=1|STATUS=synchronized to 127.0.0.1:12441" ||
    fail "no READY=1 after the reload: $(tail -5 "$T/notify.txt")"
pass "SIGHUP: RELOADING=1 (with MONOTONIC_USEC) then READY=1"
kill -TERM "$NTPD_PID"; wait "$NTPD_PID" || fail "exit status after SIGTERM"
wait_msg "STOPPING=1|STATUS=shutting down" 2
pass "SIGTERM: STOPPING=1"
