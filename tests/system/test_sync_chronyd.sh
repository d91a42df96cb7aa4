#!/bin/sh
# Issue 4, the daemon's client half against a real peer: ntpd-lite (observe mode, CAP_SYS_TIME
# dropped) takes its time from Debian's chronyd serving its own clock on loopback, selects it,
# measures an offset within 1 ms (same kernel clock on both ends), and serves downstream with
# stratum = chronyd's + 1 and refid = chronyd's address.
. "$NTPLITE_SRC/tests/system/lib.sh"

UP=127.0.0.1; UP_PORT=13123       # chronyd
ME=127.0.0.10; ME_PORT=13124      # ntpd-lite serving downstream

start_chronyd_server $UP_PORT $UP 10
"$NTPQ" query $UP:$UP_PORT --json > "$T/chronyd.json" || fail "chronyd does not answer"
up_stratum=$(json_get "$T/chronyd.json" 'j["samples"][0]["stratum"]')

start_ntpd_lite "
[log]
level = \"info\"

[[server]]
listen = \"$ME:$ME_PORT\"
threads = 1

[[source]]
mode = \"server\"
address = \"$UP:$UP_PORT\"
iburst = true
minpoll = 0
maxpoll = 2

[clock]
mode = \"observe\"
" ntpd
LOG="$T/ntpd.log"

wait_log "source $UP:$UP_PORT: .* -> selected" 20
pass "selected chronyd at $UP:$UP_PORT"
wait_log "sync: update 2: offset" 20

# The state dump (SIGUSR1): system line and the source line with its filtered offset.
dump_state() {
    before=$(grep -c 'sync state:' "$LOG" || true)
    kill -USR1 "$NTPD_PID"
    i=0
    while [ "$(grep -c 'sync state:' "$LOG" || true)" -le "$before" ]; do
        i=$((i+1)); [ $i -lt 50 ] || fail "ntpd-lite did not dump its sync state"
        sleep 0.1
    done
    sleep 0.2  # the per-source lines follow the system line
}
dump_state
grep 'sync state:' "$LOG" | tail -n 1 | grep -q "sync state: synchronized (none) stratum $((up_stratum + 1)) refid $UP " \
    || fail "state dump: not synchronized at stratum $((up_stratum + 1)) via $UP: $(grep 'sync state:' "$LOG" | tail -n 1)"
line=$(grep "sync source $UP:$UP_PORT " "$LOG" | tail -n 1)
echo "$line"
echo "$line" | grep -q 'state=selected' || fail "source not selected in the dump"
offset=$(echo "$line" | sed -n 's/.* offset=\([-+][0-9.]*\) s.*/\1/p')
[ -n "$offset" ] || fail "no offset in the dump"
python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1])) < 1e-3 else 1)" "$offset" \
    || fail "|offset| $offset s not below 1 ms"
pass "state dump: selected, offset $offset s (< 1 ms)"

# The offset the updates report, as logged.
upd=$(grep 'sync: update [0-9]*: offset' "$LOG" | tail -n 1 | sed -n 's/.*offset \([-+][0-9.]*\) s.*/\1/p')
python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1])) < 1e-3 else 1)" "$upd" \
    || fail "logged update offset $upd s not below 1 ms"
pass "logged update offset $upd s (< 1 ms)"

# Downstream: what ntpd-lite now serves.
"$NTPQ" query $ME:$ME_PORT --json > "$T/down.json" || fail "ntpd-lite does not answer downstream"
s='j["samples"][0]'
[ "$(json_get "$T/down.json" "$s[\"ok\"]")" = True ] || fail "downstream sample not ok"
[ "$(json_get "$T/down.json" "$s[\"stratum\"]")" = $((up_stratum + 1)) ] \
    || fail "served stratum $(json_get "$T/down.json" "$s[\"stratum\"]"), want $((up_stratum + 1))"
[ "$(json_get "$T/down.json" "$s[\"refid\"]")" = "$UP" ] \
    || fail "served refid $(json_get "$T/down.json" "$s[\"refid\"]"), want $UP"
[ "$(json_get "$T/down.json" "$s[\"leap\"]")" = 0 ] || fail "served leap not 0"
[ "$(json_get "$T/down.json" "abs($s[\"offset_ns\"]) < 1000000")" = True ] || fail "served offset"
# Root delay accumulates: at least chronyd's (0 as a local reference) plus our round trip.
[ "$(json_get "$T/down.json" "$s[\"root_delay_ns\"] > 0")" = True ] || fail "root delay not accumulated"
pass "serves stratum $((up_stratum + 1)), refid $UP downstream"

grep -q 'time loop' "$LOG" && fail "spurious time loop reported"
grep -qi 'would be stepped' "$LOG" && fail "a step was requested for a same-clock source"
pass "no time loop, no step"
