#!/bin/sh
# Issue 12, states on every surface: ntpd-lite follows a loopback chronyd (synchronized: exit 0),
# chronyd is stopped, the daemon goes into holdover (status/source exit 11, "holdover since T,
# N s left" in status, the peers header, --json, the snapshot, Prometheus and mode 6), and a
# second daemon with no reachable source and a [local] stratum serves its local fallback
# (exit 12, refid 127.127.1.1 everywhere); a third with neither is unsynchronized (exit 6).
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/monitor_tools.sh"
MODE6="python3 $NTPLITE_SRC/tests/system/monitor_mode6.py"

UP=127.0.0.1; UP_PORT=14200
ME=127.0.0.80; ME_PORT=14201; METRICS=127.0.0.80:14202; SOCK="$T/control.sock"
start_chronyd_server $UP_PORT $UP 10
CHRONY_PID=${_PIDS##* }
start_ntpd_lite "
[[server]]
listen = \"$ME:$ME_PORT\"
threads = 1

[[source]]
mode = \"server\"
address = \"$UP:$UP_PORT\"
iburst = true
minpoll = 0
maxpoll = 0

[control]
socket = \"$SOCK\"

[metrics]
listen = \"$METRICS\"

[clock]
mode = \"observe\"
holdover = 600
" ntpd
wait_udp_port $ME $ME_PORT
wait_synced $ME $ME_PORT 30
get() { python3 -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }
rc_of() { rc=0; "$NTPQ" "$@" > "$T/out.txt" 2>&1 || rc=$?; echo $rc; }
[ "$(rc_of source --host $ME --port $ME_PORT)" = 0 ] || fail "source while synchronized: $(cat "$T/out.txt")"

# --- holdover: the only source goes silent
kill "$CHRONY_PID"
i=0
until [ "$(rc_of status --host $ME --port $ME_PORT)" = 11 ]; do
    i=$((i+1)); [ $i -lt 40 ] || fail "no holdover (exit 11) within 20 s: $(cat "$T/out.txt")"
    sleep 0.5
done
"$NTPQ" status --host $ME --port $ME_PORT > "$T/status-holdover.txt" || true
cat "$T/status-holdover.txt"
grep -q "^Status          : holdover since .*Z, [0-9]* s left (" "$T/status-holdover.txt" || fail "status text in holdover"
grep -q "^Holdover left   : [0-9]* s$" "$T/status-holdover.txt" || fail "status: holdover left"
[ "$(rc_of source --host $ME --port $ME_PORT)" = 11 ] || fail "source in holdover: exit $rc"
grep -q "^Holdover: no source selected, [0-9]* s left$" "$T/out.txt" || fail "source line in holdover: $(cat "$T/out.txt")"
"$NTPQ" peers --host $ME --port $ME_PORT > "$T/peers.txt" || true
head -n 1 "$T/peers.txt" | grep -q "^$ME:$ME_PORT: holdover since" || fail "peers header in holdover"
"$NTPQ" status --json --host $ME --port $ME_PORT > "$T/status.json" || true
[ "$(json_get "$T/status.json" 'j["state"], j["exit_code"], j["holdover_left_s"] > 0')" = "holdover 11 True" ] ||
    fail "status --json in holdover: $(cat "$T/status.json")"
"$NTPQ" snapshot --socket "$SOCK" > "$T/snap.json"
[ "$(json_get "$T/snap.json" 'j["system"]["state"]')" = holdover ] || fail "snapshot state"
get "http://$METRICS/metrics" > "$T/metrics.txt"
grep -q '^ntpd_lite_sync_state{state="holdover"} 1$' "$T/metrics.txt" || fail "Prometheus holdover"
get "http://$METRICS/" | grep -q '<p id="state" class="state holdover">holdover since' || fail "status page holdover"
"$NTPQ" peers --json --host $ME --port $ME_PORT > "$T/peers.json" || true
[ "$(json_get "$T/peers.json" 'j["state"]')" = holdover ] || fail "peers --json state (mode 6 sync_state)"
pass "holdover on status/source/peers/JSON/snapshot/Prometheus/page (exit 11)"

# --- local fallback and unsynchronized: daemons whose only source never answers
for kind in local unsync; do
    port=$([ $kind = local ] && echo 14203 || echo 14204)
    extra=$([ $kind = local ] && printf '[local]\nstratum = 9\n' || true)
    start_ntpd_lite "
[[server]]
listen = \"$ME:$port\"
threads = 1

[[source]]
mode = \"server\"
address = \"127.0.0.1:14209\"
minpoll = 0
maxpoll = 0

$extra

[clock]
mode = \"observe\"
" $kind
    wait_udp_port $ME $port
done
want_rc() { i=0; until [ "$(rc_of "$@")" = "$W" ]; do i=$((i+1)); [ $i -lt 30 ] || fail "$*: exit $rc, want $W: $(cat "$T/out.txt")"; sleep 0.5; done; }
W=12 want_rc status --host $ME --port 14203
grep -q "^Status          : local fallback at stratum 9 (" "$T/out.txt" || fail "local status: $(cat "$T/out.txt")"
grep -q "^Reference ID    : 127.127.1.1" "$T/out.txt" || fail "local refid: $(cat "$T/out.txt")"
W=12 want_rc source --host $ME --port 14203
grep -q "^Local clock (127.127.1.1, stratum 9)" "$T/out.txt" || fail "local source line"
W=6 want_rc status --host $ME --port 14204
grep -q "^Status          : unsynchronized because " "$T/out.txt" || fail "unsync status: $(cat "$T/out.txt")"
W=6 want_rc source --host $ME --port 14204
pass "local fallback (exit 12, 127.127.1.1) and unsynchronized (exit 6)"
grep -q "sync: holdover (all-unreachable)" "$T/ntpd.log" || fail "no holdover transition log line with its reason"
grep -q "^20[0-9-]*T[0-9:.]*Z info" "$T/ntpd.log" || fail "log timestamps are not UTC with Z"
pass "one log line per state transition, with its reason, UTC timestamps"
