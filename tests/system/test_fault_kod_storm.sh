#!/bin/sh
# Fault table (issue 14, docs/HARDENING.md): KoD storms. ntpd-lite (observe mode, CAP_SYS_TIME
# dropped) has three sources on loopback: chronyd (good), a server that answers every request
# with KoD RATE and one that answers every request with KoD DENY (tests/system/
# scripted_responder.py, counting the requests it gets). For 12 s a script asks for a resync every
# 0.2 s. Expected: the RATE server sees its poll interval double after each kiss (requests at
# about 0, 2, 6, 14, 30 s after start: at most 4 before the test ends, the resyncs absorbed), the DENY server gets exactly one
# request (the source is demobilized and resync leaves it alone), the daemon stays synchronized
# to chronyd and serves clients throughout.
. "$NTPLITE_SRC/tests/system/lib.sh"
RESP="python3 $NTPLITE_SRC/tests/system/scripted_responder.py"

UP=127.0.0.1; UP_PORT=15361; RATE=127.0.0.41; DENY=127.0.0.42; KPORT=15362
ME=127.0.0.43; ME_PORT=15363
start_chronyd_server $UP_PORT $UP 10
$RESP --address $RATE --port $KPORT --behaviour kiss:RATE --lifetime 60 \
    --count-file "$T/rate.count" > "$T/rate.log" 2>&1 &
_PIDS="$_PIDS $!"
$RESP --address $DENY --port $KPORT --behaviour kiss:DENY --lifetime 60 \
    --count-file "$T/deny.count" > "$T/deny.log" 2>&1 &
_PIDS="$_PIDS $!"
wait_udp_port $RATE $KPORT
wait_udp_port $DENY $KPORT

start_ntpd_lite "
[[server]]
listen = \"$ME:$ME_PORT\"
threads = 1

[control]
socket = \"$T/ctl.sock\"

[[source]]
mode = \"server\"
address = \"$UP:$UP_PORT\"
iburst = true
minpoll = 0
maxpoll = 1

[[source]]
mode = \"server\"
address = \"$RATE:$KPORT\"
iburst = true
minpoll = 0
maxpoll = 1

[[source]]
mode = \"server\"
address = \"$DENY:$KPORT\"
iburst = true
minpoll = 0
maxpoll = 1
" ntpd
LOG="$T/ntpd.log"
wait_log "synchronized to $UP:$UP_PORT" 20
t0=$(date +%s)
resyncs=0
while [ $(($(date +%s) - t0)) -lt 12 ]; do
    "$NTPQ" resync --socket "$T/ctl.sock" > /dev/null 2>&1 || true
    resyncs=$((resyncs + 1))
    sleep 0.2
done
rate_n=$(cat "$T/rate.count"); deny_n=$(cat "$T/deny.count")
echo "figure: kod storm: $resyncs resyncs in 12 s; RATE server got $rate_n requests, DENY server $deny_n"
[ "$rate_n" -le 4 ] || fail "the RATE-kissing server got $rate_n requests in 12 s (expected <= 4)"
[ "$rate_n" -ge 2 ] || fail "the RATE-kissing server was polled only $rate_n times"
[ "$deny_n" = 1 ] || fail "the DENY-kissing server got $deny_n requests (expected 1)"
grep -q "source $RATE:$KPORT: KoD RATE, poll interval raised" "$LOG" || fail "no KoD RATE log line"
"$NTPQ" query $ME:$ME_PORT -t 2 > "$T/q.txt" || fail "ntpd-lite stopped serving during the storm"
"$NTPQ" status --host $ME --port $ME_PORT > "$T/status.txt" ||
    fail "not synchronized after the storm: $(cat "$T/status.txt")"
pass "KoD storm: RATE server polled $rate_n times in 12 s of resyncs, DENY server once; still synchronized and serving"
