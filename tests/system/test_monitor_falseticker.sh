#!/bin/sh
# Issue 7: `ntpq-lite monitor` (no daemon, one SNTP query per server, like w32tm /monitor)
# against three loopback servers: chronyd, ntpd-lite serving its local clock, and a falseticker
# 2 s off (tests/system/falseticker_responder.py). The falseticker, and only it, is flagged; the
# exit status says so (10); offsets from the first server are reported.
. "$NTPLITE_SRC/tests/system/lib.sh"

start_chronyd_server 14130 127.0.0.24 10
start_ntpd_lite '
[local]
stratum = 7

[[server]]
listen = "127.0.0.25:14131"
threads = 1
' local
python3 "$NTPLITE_SRC/tests/system/falseticker_responder.py" --address 127.0.0.26 --port 14132 \
    --offset 2.0 --lifetime 60 > "$T/falseticker.log" 2>&1 &
_PIDS="$_PIDS $!"
wait_udp_port 127.0.0.25 14131
wait_udp_port 127.0.0.26 14132

rc=0
"$NTPQ" monitor 127.0.0.24:14130 127.0.0.25:14131 127.0.0.26:14132 > "$T/monitor.txt" || rc=$?
cat "$T/monitor.txt"
[ $rc = 10 ] || fail "monitor: exit $rc, expected 10 (a server disagrees)"
grep -q "^127.0.0.26:14132 .* DISAGREES$" "$T/monitor.txt" || fail "falseticker not flagged"
[ "$(grep -c 'DISAGREES' "$T/monitor.txt")" = 1 ] || fail "more than the falseticker flagged"
grep -q "^3 server(s), 3 answered, 2 agree; check: 127.0.0.26:14132 (disagrees)$" "$T/monitor.txt" || fail "summary line"
awk 'length > 79 { exit 1 }' "$T/monitor.txt" || fail "a line is wider than 79 columns"

rc=0
"$NTPQ" monitor 127.0.0.24:14130 127.0.0.25:14131 127.0.0.26:14132 --json > "$T/monitor.json" || rc=$?
[ $rc = 10 ] || fail "monitor --json: exit $rc"
python3 - "$T/monitor.json" <<'PY' || fail "monitor --json content"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["schema"] == "ntpq-lite.monitor/1", j["schema"]
s = {x["server"]: x for x in j["servers"]}
good, bad = s["127.0.0.24:14130"], s["127.0.0.26:14132"]
assert j["flagged"] == ["127.0.0.26:14132"], j["flagged"]
assert good["agrees"] and s["127.0.0.25:14131"]["agrees"] and not bad["agrees"]
assert good["offset_from_first_ns"] == 0 and good["stratum"] == 10
assert s["127.0.0.25:14131"]["stratum"] == 7, s["127.0.0.25:14131"]
assert abs(bad["offset_s"] - 2.0) < 0.1 and abs(bad["offset_from_first_s"] - 2.0) < 0.1, bad
assert abs(good["offset_s"]) < 0.01 and j["exit_code"] == 10
PY
pass "monitor flags the falseticker (and only it), exit 10"

"$NTPQ" monitor 127.0.0.24:14130 127.0.0.25:14131 > "$T/agree.txt" || fail "monitor of two agreeing servers: exit $?"
pass "monitor of agreeing servers exits 0"
