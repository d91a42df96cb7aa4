#!/bin/sh
# Issue 12: `ntpq-lite clients` lists who the server served (over the control socket) after
# traffic from several 127.x addresses, busiest first, with drops and KoDs from the rate limiter;
# `ntpq-lite waitsync` exit statuses: 0 once synchronized, 13 when the offset bound is never met
# before --timeout, 8 when no daemon answers; `status` exit 0 while synchronized.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/monitor_tools.sh"
PROBE="python3 $NTPLITE_SRC/tests/system/server_probe.py"

UP=127.0.0.1; UP_PORT=14160      # chronyd
ME=127.0.0.25; ME_PORT=14161     # ntpd-lite
SOCK="$T/control.sock"

start_chronyd_server $UP_PORT $UP 10
# Boot ordering: waitsync starts before the daemon, sees nothing, then the daemon syncing.
"$NTPQ" waitsync --host $ME --port $ME_PORT --timeout 30 --interval 0.2 > "$T/waitsync.txt" 2>&1 &
WAIT_PID=$!
_PIDS="$_PIDS $WAIT_PID"
sleep 0.5
start_ntpd_lite "
[[server]]
listen = \"$ME:$ME_PORT\"
threads = 2

[ratelimit]
interval_log2 = 6
burst = 4
leak = 0.0
kod = true

[[source]]
mode = \"server\"
address = \"$UP:$UP_PORT\"
iburst = true
minpoll = 0
maxpoll = 1

[control]
socket = \"$SOCK\"

[clock]
mode = \"observe\"
" ntpd
wait_udp_port $ME $ME_PORT

set +e
wait $WAIT_PID
rc=$?
set -e
cat "$T/waitsync.txt"
[ $rc = 0 ] || fail "waitsync: exit $rc"
tail -n 1 "$T/waitsync.txt" | grep -q "synchronized to $UP:$UP_PORT" || fail "waitsync: last line"
tries=$(grep -c '^try ' "$T/waitsync.txt")
[ "$tries" -ge 2 ] || fail "waitsync returned before the daemon ran ($tries tries)"
"$NTPQ" status --host $ME --port $ME_PORT > /dev/null || fail "status after waitsync: exit $?"
pass "waitsync exit 0 after $tries tries (started before the daemon)"

# An offset bound no real measurement meets (1 ns): exit 13 within the timeout, JSON says why.
set +e
"$NTPQ" waitsync --host $ME --port $ME_PORT --timeout 2 --max-offset 0.000000001 --json > "$T/w13.json" 2> "$T/w13.err"
rc=$?
set -e
[ $rc = 13 ] || fail "waitsync --max-offset 1e-9: exit $rc, want 13 ($(cat "$T/w13.err"))"
[ "$(json_get "$T/w13.json" 'j["error"]["code"] + " " + j["state"]')" = "timeout synchronized" ] ||
    fail "waitsync JSON: $(cat "$T/w13.json")"
set +e
"$NTPQ" waitsync --host 127.0.0.26 --port 14169 --timeout 1 > /dev/null 2>&1
rc=$?
set -e
[ $rc = 8 ] || fail "waitsync against no daemon: exit $rc, want 8"
pass "waitsync exits 13 (offset bound not met) and 8 (no daemon)"

# Traffic from three client addresses: 3, 6 and 20 requests (the last one hits the limit of 4:
# 4 answers, 1 KoD RATE, 15 drops).
$PROBE $ME $ME_PORT --bind 127.0.0.41 --count 3 > /dev/null
$PROBE $ME $ME_PORT --bind 127.0.0.42 --count 6 > /dev/null
$PROBE $ME $ME_PORT --bind 127.0.0.43 --count 20 > /dev/null
"$NTPQ" clients --socket "$SOCK" > "$T/clients.txt" || fail "clients: exit $?"
cat "$T/clients.txt"
head -n 1 "$T/clients.txt" | grep -q "^Address *Requests *Answered *Dropped *KoD *Last seen$" || fail "clients header"
awk 'NR>2 && length($0) > 79 { exit 1 }' "$T/clients.txt" || fail "clients: line over 79 columns"
sed -n 3p "$T/clients.txt" | grep -q "^127\.0\.0\.43 " || fail "clients: busiest (127.0.0.43) not first"
"$NTPQ" clients --socket "$SOCK" --json > "$T/clients.json" || fail "clients --json: exit $?"
row() { json_get "$T/clients.json" "[(c['requests'], c['answered'], c['dropped'], c['kod']) for c in j['clients'] if c['address'] == '$1'][0]"; }
[ "$(row 127.0.0.41)" = "(3, 3, 0, 0)" ] || fail "127.0.0.41: $(row 127.0.0.41)"
[ "$(row 127.0.0.42)" = "(6, 4, 1, 1)" ] || fail "127.0.0.42: $(row 127.0.0.42)"
[ "$(row 127.0.0.43)" = "(20, 4, 15, 1)" ] || fail "127.0.0.43: $(row 127.0.0.43)"
[ "$(json_get "$T/clients.json" 'j["schema"] + " " + str(j["exit_code"]) + " " + str(j["error"])')" = "ntpq-lite.clients/1 0 None" ] ||
    fail "clients JSON envelope"
[ "$(json_get "$T/clients.json" 'all(c["last_seen_ago_ns"] < 30e9 for c in j["clients"])')" = True ] ||
    fail "clients: last seen"
# Without a daemon: exit 8 and still one JSON document.
set +e
"$NTPQ" clients --socket "$T/nothing.sock" --json > "$T/noclients.json" 2> /dev/null
rc=$?
set -e
[ $rc = 8 ] || fail "clients without daemon: exit $rc"
[ "$(json_get "$T/noclients.json" 'j["error"]["code"]')" = daemon_unreachable ] || fail "clients failure JSON"
pass "clients: 3 addresses with request/answer/drop/KoD counts, busiest first, JSON on failure"
