#!/bin/sh
# Issue 7 against a running ntpd-lite synced to a loopback chronyd: `ntpq-lite peers/status/
# source` show the source selected; `resync` makes the source burst (its request counter jumps);
# `resync` without sources / without a daemon exits 9 / 8; a mode 6 query from an address outside
# [control] allow gets nothing (and is counted) while an allowed one is answered; the
# response/request size ratio of every mode 6 request type; the Prometheus endpoint is scraped
# over HTTP and checked by promtool and a strict parser.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/monitor_tools.sh"
MODE6="python3 $NTPLITE_SRC/tests/system/monitor_mode6.py"

UP=127.0.0.1; UP_PORT=14126      # chronyd
ME=127.0.0.23; ME_PORT=14127     # ntpd-lite
METRICS=127.0.0.23:14128
SOCK="$T/control.sock"

start_chronyd_server $UP_PORT $UP 10
start_ntpd_lite "
[[server]]
listen = \"$ME:$ME_PORT\"
threads = 1

[[source]]
mode = \"server\"
address = \"$UP:$UP_PORT\"
iburst = true
minpoll = 2
maxpoll = 4

[control]
socket = \"$SOCK\"
socket_mode = 0o600
allow = [\"127.0.0.1/32\"]

[metrics]
listen = \"$METRICS\"

[clock]
mode = \"observe\"
" ntpd
wait_udp_port $ME $ME_PORT
wait_synced $ME $ME_PORT 30

# --- peers / status / source show the chronyd source selected
"$NTPQ" peers --host $ME --port $ME_PORT > "$T/peers.txt" || fail "peers: exit $?"
cat "$T/peers.txt"
grep -q "^\*$UP  *127\.127\.1\.1  *10 u " "$T/peers.txt" || fail "peers: chronyd not shown selected (*)"
"$NTPQ" peers --host $ME --port $ME_PORT --json > "$T/peers.json"
[ "$(json_get "$T/peers.json" 'j["peers"][0]["tally"] + j["peers"][0]["state"]')" = "*selected" ] ||
    fail "peers --json: $(cat "$T/peers.json")"
"$NTPQ" status --host $ME --port $ME_PORT > "$T/status.txt" || fail "status: exit $?"
cat "$T/status.txt"
grep -q "^Status          : synchronized to $UP:$UP_PORT (stratum 11)$" "$T/status.txt" || fail "status does not say synchronized to chronyd"
grep -q "^Stratum         : 11$" "$T/status.txt" || fail "status: stratum is not chronyd's + 1"
grep -q "^Reference ID    : 127.0.0.1 (127.0.0.1)$" "$T/status.txt" || fail "status: reference"
src=$("$NTPQ" source --host $ME --port $ME_PORT) || fail "source: exit $?"
echo "$src"
case "$src" in "127.0.0.1 (stratum 10, refid 127.127.1.1, offset "*) ;; *) fail "source line: $src" ;; esac
pass "ntpq-lite peers/status/source show chronyd selected"

# --- resync bursts the source: requests_sent jumps by >= 2 within 3 s (polling alone: <= 1)
sent() { "$NTPQ" snapshot --socket "$SOCK" > "$T/snap.json" && json_get "$T/snap.json" 'j["sources"][0]["requests_sent"]'; }
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "control socket mode is $(stat -c %a "$SOCK"), expected 600"
# The core coalesces a burst within a minimum poll (4 s) of the last one (the start-up iburst).
sleep 4
before=$(sent)
"$NTPQ" resync --socket "$SOCK" > "$T/resync.txt" || fail "resync: exit $?"
grep -q "^resync: burst started on 1 source(s)$" "$T/resync.txt" || fail "resync said: $(cat "$T/resync.txt")"
sleep 3
after=$(sent)
[ $((after - before)) -ge 2 ] || fail "resync: requests_sent $before -> $after, expected a burst"
grep -q "resync requested: 1 source(s) polled now" "$T/ntpd.log" || fail "no resync line in the log"
pass "resync: requests to the source $before -> $after within 3 s"

rc=0; "$NTPQ" resync --socket "$T/nonexistent.sock" 2> "$T/resync8.err" || rc=$?
[ $rc = 8 ] || fail "resync without a daemon: exit $rc, expected 8"
start_ntpd_lite "
[local]
stratum = 7

[[server]]
listen = \"127.0.0.23:14129\"
threads = 1

[control]
socket = \"$T/local.sock\"
" local
i=0; while [ ! -S "$T/local.sock" ]; do i=$((i+1)); [ $i -lt 50 ] || fail "no local.sock"; sleep 0.1; done
rc=0; "$NTPQ" resync --socket "$T/local.sock" --json > "$T/resync9.json" 2> "$T/resync9.err" || rc=$?
[ $rc = 9 ] || fail "resync without sources: exit $rc, expected 9"
grep -q "no \[\[source\]\] configured" "$T/resync9.err" || fail "resync refusal reason: $(cat "$T/resync9.err")"
[ "$(json_get "$T/resync9.json" 'j["error"]["code"]')" = daemon_refused ] || fail "resync --json error code"
rc=0; "$NTPQ" source --host 127.0.0.23 --port 14129 > "$T/local-source.txt" || rc=$?
[ $rc = 12 ] || fail "source of a [local] daemon: exit $rc, expected 12 (local fallback)"
grep -q "^Local clock (127.127.1.1, stratum 7)" "$T/local-source.txt" || fail "source of a [local] daemon: $(cat "$T/local-source.txt")"
pass "resync: exit 8 without a daemon, 9 (with the reason) without sources"

# --- [control] allow: 127.0.0.1 is answered, 127.0.0.22 gets nothing (and is counted)
$MODE6 $ME $ME_PORT --bind 127.0.0.1 > "$T/allowed.json"
[ "$(json_get "$T/allowed.json" 'j["answered"]')" = True ] || fail "allowed mode 6 query not answered"
$MODE6 $ME $ME_PORT --bind 127.0.0.22 > "$T/denied.json"
[ "$(json_get "$T/denied.json" 'j["answered"]')" = False ] || fail "mode 6 from 127.0.0.22 was answered"
"$NTPQ" snapshot --socket "$SOCK" > "$T/snap.json"
[ "$(json_get "$T/snap.json" 'j["control"]["denied"] >= 1')" = True ] || fail "denied mode 6 not counted"
pass "mode 6 from a non-allowed address: no answer, counted"

# --- amplification: response/request bytes for each request type, allowed and not allowed
$MODE6 $ME $ME_PORT --bind 127.0.0.1 --amplify --wait 0.5 > "$T/amp-allowed.json"
$MODE6 $ME $ME_PORT --bind 127.0.0.22 --amplify --wait 0.3 > "$T/amp-denied.json"
python3 - "$T/amp-allowed.json" "$T/amp-denied.json" <<'PY' || fail "amplification check"
import json, sys
ok, no = (json.load(open(p))["requests"] for p in sys.argv[1:3])
print("%-30s %6s %7s %5s %6s %s" % ("request", "in", "out", "frags", "ratio", "ratio(127.0.0.22)"))
for a, d in zip(ok, no):
    print("%-30s %6d %7d %5d %6.2f %.2f" % (a["name"], a["request_bytes"], a["response_bytes"],
                                            a["fragments"], a["ratio"], d["ratio"]))
    assert d["response_bytes"] == 0, "answered a non-allowed address: %s" % d
    assert a["fragments"] >= 1, "no answer to %s" % a["name"]
    if a["error"] is not None:
        assert a["response_bytes"] <= a["request_bytes"], "error answers must not amplify: %s" % a
PY
pass "amplification measured (table above); 0 for a non-allowed address"

# --- Prometheus endpoint
curl -sf "http://$METRICS/metrics" > "$T/metrics.txt" || fail "metrics endpoint not reachable"
ensure_promtool
"$PROMTOOL" check metrics < "$T/metrics.txt" > "$T/promtool.log" 2>&1 || fail "promtool: $(cat "$T/promtool.log")"
n=$(python3 "$NTPLITE_SRC/tests/system/monitor_promparse.py" < "$T/metrics.txt") || fail "metrics do not parse"
for want in 'ntpd_lite_synchronized 1' 'ntpd_lite_system_stratum 11' \
            "ntpd_lite_selected_source{source=\"$UP:$UP_PORT\"} 1" \
            "ntpd_lite_source_state{source=\"$UP:$UP_PORT\",state=\"selected\"} 1" \
            'ntpd_lite_server_requests_total{outcome="served"}' \
            'ntpd_lite_control_requests_total{outcome="denied"}'; do
    grep -qF "$want" "$T/metrics.txt" || fail "metrics lack: $want"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$METRICS/nope")
[ "$code" = 404 ] || fail "unknown path answered $code"
pass "metrics: $n samples, promtool and strict parser agree the text is valid"
