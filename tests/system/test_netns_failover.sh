#!/bin/sh
# Issue 6, scenario 2: failover and degradation.
#   u1, u2: ntpd-lite at [local] stratum 1.
#   s3: sources u1 (prefer) and u2, holdover 8 s, [local] stratum 9 fallback.
#   s4: the same sources and holdover, no fallback (degrades to unsynchronized).
# Kill the selected upstream: s3/s4 switch to the other within a few polls and never stop
# answering synchronized. Kill the other: they hold over (still stratum 2, root dispersion
# growing), then s3 serves its local fallback and s4 answers unsynchronized. Restart u1: both
# come back to stratum 2.
. "$NTPLITE_SRC/tests/netns/netns.sh"

HOLDOVER_S=8
FAILOVER_LIMIT_S=30  # "a few polls" at maxpoll 1 (2 s), with room for a loaded machine

netns_init
netns_host u1 1
netns_host u2 2
netns_host s3 3
netns_host s4 4
netns_host c 100

upstream() {  # upstream NAME LOG
    ns_ntpd "$1" "$2" "[local]
stratum = 1
$(srv_table "$(netns_ip "$1"):123")"
}
downstream() {  # downstream NAME BODY_EXTRA
    ns_ntpd "$1" "$1" "[clock]
mode = \"observe\"
holdover = $HOLDOVER_S
$2
$(src_table "$IP_u1" "prefer = true")
$(src_table "$IP_u2")
$(srv_table "$(netns_ip "$1"):123")"
}

t0=$(now_s)
upstream u1 u1
upstream u2 u2
downstream s3 "[local]
stratum = 9"
downstream s4 ""

wait_for 60 "s3 synchronized at stratum 2" ns_serving c "$IP_s3" 2
measured "s3 first selection" "$(elapsed_since "$t0")"
wait_for 60 "s4 synchronized at stratum 2" ns_serving c "$IP_s4" 2
measured "s4 first selection" "$(elapsed_since "$t0")"
ns_query c "$IP_s3" s3; sel=$(sample s3 refid)
[ "$sel" = "$IP_u1" ] || fail "s3 selected $sel, not the preferred $IP_u1"
wait_for 20 "s4 selects the preferred u1" ns_serving c "$IP_s4" 2 "$IP_u1"

# watch_failover HOST NEW_REFID: until HOST serves stratum 2 via NEW_REFID; every answer on the
# way must be synchronized (stratum 2). Sets WAITED_S.
watch_failover() {
    w0=$(now_s)
    while :; do
        st=0; ns_query c "$1" probe || st=$?
        [ "$st" = 0 ] || fail "$1 stopped answering synchronized during failover (ntpq-lite exit $st)"
        [ "$(sample probe stratum)" = 2 ] || fail "$1 served stratum $(sample probe stratum) during failover"
        [ "$(sample probe refid)" = "$2" ] && break
        [ "$(awk -v a="$w0" -v b="$(now_s)" -v l=$FAILOVER_LIMIT_S 'BEGIN { print (b - a > l) }')" = 0 ] ||
            fail "$1 did not switch to $2 within $FAILOVER_LIMIT_S s"
        sleep 0.5
    done
    WAITED_S=$(elapsed_since "$w0")
}

# 1. The selected upstream dies.
tk=$(now_s)
ns_stop "$PID_u1"
watch_failover "$IP_s3" "$IP_u2"
measured "s3 failover u1 -> u2 (from the kill)" "$(elapsed_since "$tk")"
watch_failover "$IP_s4" "$IP_u2"
measured "s4 failover u1 -> u2 (from the kill)" "$(elapsed_since "$tk")"
pass "failover to $IP_u2, serving synchronized throughout"

# 2. Both upstreams gone: holdover, then fallback / unsynchronized.
tk=$(now_s)
ns_stop "$PID_u2"
held=0; disp_first=""; disp_last=""
s3_done=""; s4_done=""
while [ -z "$s3_done" ] || [ -z "$s4_done" ]; do
    el=$(elapsed_since "$tk")
    [ "$(awk -v e="$el" 'BEGIN { print (e > 60) }')" = 0 ] || fail "no degradation 60 s after losing both upstreams"
    if [ -z "$s3_done" ]; then
        ns_query c "$IP_s3" probe || fail "s3 stopped answering after losing its upstreams"
        st=$(sample probe stratum)
        if [ "$st" = 2 ]; then
            held=$((held + 1)); d=$(sample probe root_dispersion_ns)
            [ -n "$disp_first" ] || disp_first=$d
            disp_last=$d
        elif [ "$st" = 9 ] && [ "$(sample probe refid_raw)" = "$REFID_LOCL" ]; then
            s3_done=$(elapsed_since "$tk")
        else
            fail "s3 served stratum $st refid $(sample probe refid) after losing its upstreams"
        fi
    fi
    if [ -z "$s4_done" ]; then
        if ns_unsync c "$IP_s4" probe4; then
            s4_done=$(elapsed_since "$tk")
        elif [ "$(sample probe4 ok)" != True ] || [ "$(sample probe4 stratum)" != 2 ]; then
            fail "s4: $(sample probe4 message) stratum $(sample probe4 stratum) during holdover"
        fi
    fi
    sleep 0.5
done
measured "s3 holdover then local fallback (from losing both)" "$s3_done"
measured "s4 holdover then unsynchronized (from losing both)" "$s4_done"
[ "$held" -ge 2 ] || fail "s3 did not hold over (only $held synchronized answers after losing both)"
[ "$disp_last" -gt "$disp_first" ] ||
    fail "root dispersion did not grow during holdover ($disp_first -> $disp_last ns)"
# The holdover counts from the last clock update (about one maxpoll, 2 s, before the kill; 4 s
# leaves room for a late poll on a loaded machine). Degrading sooner means no holdover.
for d in "$s3_done" "$s4_done"; do
    [ "$(awk -v d="$d" -v h=$HOLDOVER_S 'BEGIN { print (d >= h - 4) }')" = 1 ] ||
        fail "degraded after $d s, before the $HOLDOVER_S s holdover"
done
grep -q 'sync: holdover (all-unreachable)' "$T/s3.log" || fail "s3 did not log its holdover"
grep -q 'not synchronized (all-unreachable): serving the \[local\] fallback' "$T/s3.log" ||
    fail "s3 did not log the fallback"
grep -q 'unsynchronized (all-unreachable): answering clients as unsynchronized' "$T/s4.log" ||
    fail "s4 did not log unsynchronized"
pass "holdover ($held answers, root dispersion $disp_first -> $disp_last ns), then s3 local stratum 9, s4 unsynchronized"

# 3. An upstream returns: both synchronize to it again.
tk=$(now_s)
upstream u1 u1b
wait_for 60 "s3 back on u1" ns_serving c "$IP_s3" 2 "$IP_u1"
measured "s3 recovery (from u1 restart)" "$(elapsed_since "$tk")"
wait_for 60 "s4 back on u1" ns_serving c "$IP_s4" 2 "$IP_u1"
measured "s4 recovery (from u1 restart)" "$(elapsed_since "$tk")"
pass "upstream returned: s3 and s4 serve stratum 2 via $IP_u1 again"
