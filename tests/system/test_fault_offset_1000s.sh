#!/bin/sh
# Fault table (issue 14, docs/HARDENING.md): a source 1,000 s off. ntpd-lite (observe mode,
# CAP_SYS_TIME dropped) whose only source (tests/system/scripted_responder.py, behaviour "lie")
# is 1,000.5 s ahead, beyond the default panic_threshold of 1,000 s. Expected: one error line
# saying the offset exceeds the panic threshold and the clock is NOT adjusted, the daemon does
# not serve that time as synchronized (clients get LI=3: ntpq-lite query exits 6; status exits
# 6), keeps running, and a SIGTERM exits 0. With a source 999.5 s off (within the threshold) the
# same daemon would step: in observe mode it logs that the clock would be stepped.
. "$NTPLITE_SRC/tests/system/lib.sh"
RESP="python3 $NTPLITE_SRC/tests/system/scripted_responder.py"
FAR=127.0.0.51; NEAR=127.0.0.52; PORT=15371; ME=127.0.0.53

run_case() {  # NAME SOURCE OFFSET_S SERVE_PORT
    $RESP --address "$2" --port $PORT --behaviour lie --offset "$3" --lifetime 40 \
        > "$T/$1-resp.log" 2>&1 &
    _PIDS="$_PIDS $!"
    wait_udp_port "$2" $PORT
    start_ntpd_lite "
[[server]]
listen = \"$ME:$4\"
threads = 1

[[source]]
mode = \"server\"
address = \"$2:$PORT\"
iburst = true
minpoll = 0
maxpoll = 1
" "$1"
    LOG="$T/$1.log"
    i=0; while [ ! -e "$LOG" ] && [ $i -lt 50 ]; do sleep 0.05; i=$((i + 1)); done
}

run_case far $FAR 1000.5 15372
wait_log "exceeds the panic threshold" 20
grep 'exceeds the panic threshold' "$LOG" | head -n 1 | grep -q 'offset +1000\.[45]' ||
    fail "panic line does not name the offset: $(grep 'panic threshold' "$LOG" | head -n 1)"
sleep 3  # more updates refused meanwhile
kill -0 "$NTPD_PID" || fail "ntpd-lite exited"
grep -q 'synchronized to' "$LOG" && fail "synchronized to a source 1,000.5 s off"
rc=0; "$NTPQ" query $ME:15372 -t 2 > "$T/far-query.txt" 2>&1 || rc=$?
[ "$rc" = 6 ] || fail "query exit $rc (expected 6, unsynchronized): $(cat "$T/far-query.txt")"
rc=0; "$NTPQ" status --host $ME --port 15372 > "$T/far-status.txt" 2>&1 || rc=$?
[ "$rc" = 6 ] || fail "status exit $rc (expected 6): $(cat "$T/far-status.txt")"
grep -qi panic "$T/far-status.txt" || fail "status does not give the reason: $(cat "$T/far-status.txt")"
kill -TERM "$NTPD_PID"; rc=0; wait "$NTPD_PID" || rc=$?
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
pass "1,000.5 s off: refused ($(grep -o 'offset [^ ]* s (source [^)]*) exceeds the panic threshold' "$LOG" | head -n 1)), served unsynchronized, SIGTERM exits 0"

run_case near $NEAR 999.5 15373
wait_log "would be stepped\|stepped" 20
grep -q 'exceeds the panic threshold' "$LOG" && fail "999.5 s refused as a panic"
pass "999.5 s off (within the threshold): $(grep -o 'clock would be stepped.*' "$LOG" | head -n 1)"
