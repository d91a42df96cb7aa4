#!/bin/sh
# Issue 12, the reason column: ntpd-lite (observe mode) polls one source per reason on loopback -
# two that agree (chronyd and a correct responder), one that lies by +0.5 s, one that answers
# three times and then goes silent, one that kisses RATE, one that kisses DENY and a noselect
# one. `peers` must show each source's state and reason, ntpq's refid .RATE./.DENY. for the
# kissed ones, the tally codes, and `peers -v` the legend; JSON, /api/snapshot and Prometheus
# must say the same.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/monitor_tools.sh"
RESP="python3 $NTPLITE_SRC/tests/system/scripted_responder.py"

UP=127.0.0.1; UP_PORT=14180      # chronyd
ME=127.0.0.60; ME_PORT=14181     # ntpd-lite
METRICS=127.0.0.60:14182
P=14183                          # the responders, each on its own address
start_chronyd_server $UP_PORT $UP 10
for spec in 127.0.0.61:good 127.0.0.62:lie 127.0.0.63:silent:3 127.0.0.64:kiss:RATE \
            127.0.0.65:kiss:DENY; do
    $RESP --address "${spec%%:*}" --port $P --behaviour "${spec#*:}" --lifetime 90 \
        > "$T/resp-${spec%%:*}.log" 2>&1 &
    _PIDS="$_PIDS $!"
    wait_udp_port "${spec%%:*}" $P
done
src() { printf '[[source]]\nmode = "server"\naddress = "%s"\nminpoll = 0\nmaxpoll = 0\n%s\n\n' "$1" "${2:-}"; }
start_ntpd_lite "
[[server]]
listen = \"$ME:$ME_PORT\"
threads = 1

$(src $UP:$UP_PORT 'iburst = true')
$(src 127.0.0.61:$P 'iburst = true')
$(src 127.0.0.62:$P 'iburst = true')
$(src 127.0.0.63:$P)
$(src 127.0.0.64:$P)
$(src 127.0.0.65:$P)
$(src 127.0.0.1:$UP_PORT 'noselect = true')

[metrics]
listen = \"$METRICS\"

[clock]
mode = \"observe\"
" ntpd
wait_udp_port $ME $ME_PORT
wait_synced $ME $ME_PORT 30
# The silent source needs 8 unanswered polls (1 s each) to count as unreachable.
i=0
while :; do
    "$NTPQ" peers --host $ME --port $ME_PORT > "$T/peers.txt" 2>&1 || true
    grep -q "^ 127\.0\.0\.63 .* unreachable" "$T/peers.txt" && grep -q "falseticker" "$T/peers.txt" && break
    i=$((i+1)); [ $i -lt 40 ] || { cat "$T/peers.txt"; fail "states did not settle within 20 s"; }
    sleep 0.5
done
"$NTPQ" peers -v --host $ME --port $ME_PORT > "$T/peers.txt"
cat "$T/peers.txt"
awk 'length($0) > 79 { exit 1 }' "$T/peers.txt" || fail "a line is longer than 79 columns"
grep -q "^Tally (first column)" "$T/peers.txt" || fail "peers -v: no legend"
# state block: "<tally><remote> <state> <reason>"
state_of() { awk -v a="$1" 'seen && substr($0, 2, length(a)) == a && $0 !~ / u / { print $2; exit }
                            /^ *remote +state +reason/ { seen = 1 }' "$T/peers.txt"; }
row_of() { grep -m1 "^.$1 " "$T/peers.txt"; }
[ "$(state_of 127.0.0.62)" = falseticker ] || fail "liar: state $(state_of 127.0.0.62)"
row_of 127.0.0.62 | grep -q "^x" || fail "liar: tally is not x"
[ "$(state_of 127.0.0.63)" = unreachable ] || fail "silent: state $(state_of 127.0.0.63)"
[ "$(state_of 127.0.0.64)" = rate-limited ] || fail "RATE kiss: state $(state_of 127.0.0.64)"
row_of 127.0.0.64 | grep -q " \.RATE\. " || fail "RATE kiss: refid is not .RATE."
[ "$(state_of 127.0.0.65)" = denied ] || fail "DENY kiss: state $(state_of 127.0.0.65)"
row_of 127.0.0.65 | grep -q " \.DENY\. " || fail "DENY kiss: refid is not .DENY."
case "$(state_of 127.0.0.61)" in selected|candidate) ;; *) fail "good responder: $(state_of 127.0.0.61)" ;; esac
grep -q "noselect" "$T/peers.txt" || fail "noselect source not shown as such"
pass "peers: falseticker (x), unreachable, rate-limited (.RATE.), denied (.DENY.), noselect"

"$NTPQ" peers --json --host $ME --port $ME_PORT > "$T/peers.json"
[ "$(json_get "$T/peers.json" '[p["state"] for p in j["peers"] if p["remote"] == "127.0.0.62"][0]')" = falseticker ] ||
    fail "peers --json state"
[ "$(json_get "$T/peers.json" 'all(p["reason"] for p in j["peers"])')" = True ] || fail "peers --json: a source without reason"
python3 -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
    "http://$METRICS/metrics" > "$T/metrics.txt"
grep -q 'ntpd_lite_source_state{source="127.0.0.62:'$P'",state="falseticker"} 1' "$T/metrics.txt" ||
    fail "Prometheus: liar not a falseticker"
grep -q 'ntpd_lite_sync_state{state="synchronized"} 1' "$T/metrics.txt" || fail "Prometheus: sync state"
python3 -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
    "http://$METRICS/api/snapshot" > "$T/snap.json"
[ "$(json_get "$T/snap.json" '[s["state"] for s in j["sources"] if s["address"] == "127.0.0.63"][0]')" = unreachable ] ||
    fail "/api/snapshot: silent source"
pass "the same states in peers --json, Prometheus and /api/snapshot"
