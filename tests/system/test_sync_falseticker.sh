#!/bin/sh
# Issue 4: selection against three loopback servers, one of them wrong. Two chronyd servers share
# this machine's clock; a small test responder adds +0.1 s to its timestamps. ntpd-lite (observe
# mode, CAP_SYS_TIME dropped) must select one of the two good ones, mark the third as a
# falseticker, never select it, and serve downstream with the good ones' stratum + 1.
. "$NTPLITE_SRC/tests/system/lib.sh"

GOOD1=127.0.0.10; GOOD1_PORT=13131
GOOD2=127.0.0.11; GOOD2_PORT=13132
BAD=127.0.0.12;   BAD_PORT=13133
ME=127.0.0.13;    ME_PORT=13134

start_chronyd_server $GOOD1_PORT $GOOD1 10
start_chronyd_server $GOOD2_PORT $GOOD2 10
python3 "$NTPLITE_SRC/tests/system/falseticker_responder.py" --address $BAD --port $BAD_PORT \
    --offset 0.1 --lifetime 90 > "$T/falseticker.log" 2>&1 &
_PIDS="$_PIDS $!"
wait_udp_port $BAD $BAD_PORT
# The responder really is 0.1 s off (so the test can fail for the right reason).
"$NTPQ" query $BAD:$BAD_PORT --json > "$T/bad.json" || fail "falseticker responder does not answer"
[ "$(json_get "$T/bad.json" 'abs(j["samples"][0]["offset_ns"] - 100000000) < 20000000')" = True ] \
    || fail "responder offset is not ~ +0.1 s"

start_ntpd_lite "
[[server]]
listen = \"$ME:$ME_PORT\"
threads = 1

[[source]]
address = \"$GOOD1:$GOOD1_PORT\"
iburst = true
minpoll = 0
maxpoll = 1

[[source]]
address = \"$BAD:$BAD_PORT\"
iburst = true
minpoll = 0
maxpoll = 1

[[source]]
address = \"$GOOD2:$GOOD2_PORT\"
iburst = true
minpoll = 0
maxpoll = 1

[clock]
mode = \"observe\"
" ntpd
LOG="$T/ntpd.log"

wait_log "source $BAD:$BAD_PORT: .* -> falseticker" 30
pass "the +0.1 s server was marked a falseticker"
wait_log "sync: update 4: offset" 30
sleep 3  # a few more polls at 2^0..2^1 s

before=$(grep -c 'sync state:' "$LOG" || true)
kill -USR1 "$NTPD_PID"
i=0
while [ "$(grep -c 'sync state:' "$LOG" || true)" -le "$before" ]; do
    i=$((i+1)); [ $i -lt 50 ] || fail "ntpd-lite did not dump its sync state"
    sleep 0.1
done
sleep 0.3
grep 'sync source' "$LOG" | tail -n 3
state_of() { grep "sync source $1 " "$LOG" | tail -n 1 | sed -n 's/.* state=\([a-z-]*\) .*/\1/p'; }
offset_of() { grep "sync source $1 " "$LOG" | tail -n 1 | sed -n 's/.* offset=\([-+][0-9.]*\) s.*/\1/p'; }

[ "$(state_of $BAD:$BAD_PORT)" = falseticker ] || fail "bad server state $(state_of $BAD:$BAD_PORT), want falseticker"
for g in $GOOD1:$GOOD1_PORT $GOOD2:$GOOD2_PORT; do
    case "$(state_of $g)" in
        selected|candidate) ;;
        *) fail "good server $g state $(state_of $g), want selected or candidate" ;;
    esac
    python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1])) < 1e-3 else 1)" "$(offset_of $g)" \
        || fail "good server $g offset $(offset_of $g) s not below 1 ms"
done
python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - 0.1) < 0.02 else 1)" "$(offset_of $BAD:$BAD_PORT)" \
    || fail "bad server measured at $(offset_of $BAD:$BAD_PORT) s, not ~ +0.1 s"
nsel=$( (state_of $GOOD1:$GOOD1_PORT; state_of $GOOD2:$GOOD2_PORT) | grep -c '^selected$' || true)
[ "$nsel" = 1 ] || fail "expected exactly one good server selected, got $nsel"
pass "dump: both good servers survive (one selected), the bad one is a falseticker"

grep -q "source $BAD:$BAD_PORT: .* -> selected" "$LOG" && fail "the falseticker was selected at some point"
grep -q "source $BAD:$BAD_PORT: [a-z-]* -> selected" "$LOG" && fail "the falseticker was selected"
grep 'sync: update [0-9]*: offset' "$LOG" | sed -n 's/.*offset \([-+][0-9.]*\) s.*/\1/p' > "$T/updates.txt"
python3 -c "
import sys
v=[float(x) for x in open(sys.argv[1])]
sys.exit(0 if v and max(abs(x) for x in v) < 1e-3 else 1)" "$T/updates.txt" \
    || fail "an update offset was not below 1 ms: $(tr '\n' ' ' < "$T/updates.txt")"
pass "every logged update offset below 1 ms: $(tr '\n' ' ' < "$T/updates.txt")"

"$NTPQ" query $ME:$ME_PORT --json > "$T/down.json" || fail "ntpd-lite does not answer downstream"
s='j["samples"][0]'
[ "$(json_get "$T/down.json" "$s[\"stratum\"]")" = 11 ] || fail "served stratum not 11"
case "$(json_get "$T/down.json" "$s[\"refid\"]")" in
    $GOOD1|$GOOD2) ;;
    *) fail "served refid $(json_get "$T/down.json" "$s[\"refid\"]") is not a good server" ;;
esac
pass "serves stratum 11 with a good server's refid"
