#!/bin/sh
# Issue 6, scenario 3: time loops.
#   1. a and b each take time only from the other: neither ever synchronizes.
#   2. a also gets a real upstream u (stratum 1): a follows u, b follows a (stratum 3), and a
#      refuses b (b's refid is a's own address) with one log line naming b.
#   3. The same with the roles swapped (b has the upstream): b logs the loop naming a.
# So both daemons detect the loop, name the peer, and never lock onto each other.
. "$NTPLITE_SRC/tests/netns/netns.sh"

QUIET_S=12  # phase 1: 6 polls at maxpoll 1

netns_init
netns_host u 1
netns_host a 11
netns_host b 12
netns_host c 100

peer_daemon() {  # peer_daemon NAME LOG SOURCES...
    n=$1; log=$2; shift 2
    body=""
    for s in "$@"; do body="$body
$(src_table "$s")"; done
    ns_ntpd "$n" "$log" "$body
$(srv_table "$(netns_ip "$n"):123")"
}

# 1. a <-> b only.
peer_daemon a a1 "$IP_b"
peer_daemon b b1 "$IP_a"
ns_wait_udp a "$IP_a" 123
ns_wait_udp b "$IP_b" 123
t1=$(now_s)
while [ "$(awk -v a="$t1" -v b="$(now_s)" -v l=$QUIET_S 'BEGIN { print (b - a < l) }')" = 1 ]; do
    ns_unsync c "$IP_a" || fail "a answered synchronized with only b as its source: $(sample probe refid)"
    ns_unsync c "$IP_b" || fail "b answered synchronized with only a as its source: $(sample probe refid)"
    sleep 1
done
for x in a1 b1; do
    grep -q 'sync: synchronized to' "$T/$x.log" && fail "$x selected its peer: $(grep 'sync: synchronized to' "$T/$x.log")"
done
# The state dump (SIGUSR1) shows each peer polled but never usable.
peer_state() {  # peer_state LOG PID PEER_IP: the state= of PEER in LOG's latest dump
    kill -USR1 "$2"
    wait_for 10 "$1 dumps its state" grep -q "sync source $3:123 state=" "$T/$1.log"
    grep "sync source $3:123 state=" "$T/$1.log" | tail -n 1 | sed 's/.*state=\([^ ]*\).*/\1/'
}
sa=$(peer_state a1 "$PID_a1" "$IP_b"); sb=$(peer_state b1 "$PID_b1" "$IP_a")
case "$sa$sb" in *selected*|*candidate*) fail "a sees b as $sa, b sees a as $sb" ;; esac
pass "a <-> b alone: neither synchronized within $QUIET_S s (a sees b: $sa, b sees a: $sb)"
ns_stop "$PID_a1"
ns_stop "$PID_b1"

ns_ntpd u u "[local]
stratum = 1
$(srv_table "$IP_u:123")"

# loop_phase UP DOWN TAG: UP has sources u and DOWN, DOWN has only UP. UP must follow u, DOWN must
# follow UP, and UP must log the loop naming DOWN and never select it.
loop_phase() {
    up=$1; down=$2; tag=$3
    ip_up=$(netns_ip "$up"); ip_down=$(netns_ip "$down")
    tp=$(now_s)
    peer_daemon "$up" "${up}$tag" "$IP_u" "$ip_down"
    peer_daemon "$down" "${down}$tag" "$ip_up"
    wait_for 60 "$up follows u" ns_serving c "$ip_up" 2 "$IP_u"
    measured "$up first selection (u)" "$(elapsed_since "$tp")"
    wait_for 60 "$down follows $up" ns_serving c "$ip_down" 3 "$ip_up"
    measured "$down first selection (through $up)" "$(elapsed_since "$tp")"
    wait_for 30 "$up logs the time loop naming $down" \
        grep -q "time loop: source $ip_down:123" "$T/${up}$tag.log"
    measured "$up loop detected (from start)" "$(elapsed_since "$tp")"
    # A few more polls: the loop must stay refused.
    i=0
    while [ $i -lt 6 ]; do
        ns_serving c "$ip_up" 2 "$IP_u" || fail "$up left u: stratum $(sample probe stratum) refid $(sample probe refid)"
        ns_serving c "$ip_down" 3 "$ip_up" || fail "$down left $up: stratum $(sample probe stratum) refid $(sample probe refid)"
        i=$((i + 1)); sleep 1
    done
    grep -q "source $ip_down:123: .* -> selected" "$T/${up}$tag.log" && fail "$up selected $down (a loop)"
    n=$(grep -c "time loop: source $ip_down:123" "$T/${up}$tag.log")
    [ "$n" -le 2 ] || fail "$up logged the loop $n times (should be one clear line)"
    pass "$up follows u, $down follows $up, $up refuses $down: $(grep -m1 'time loop' "$T/${up}$tag.log" | cut -d' ' -f3-)"
    eval "ns_stop \$PID_${up}$tag"
    eval "ns_stop \$PID_${down}$tag"
}

# 2. a has the upstream.
loop_phase a b 2
# 3. b has the upstream.
loop_phase b a 3
