#!/bin/sh
# Issue 6, scenario 4: a pool through a test resolver.
#   p1..p4: ntpd-lite at [local] stratum 2; "pool.test.invalid" lists all four in a hosts file
#   bind-mounted over /etc/hosts for the client daemon alone (never a real pool or real DNS).
#   d: one [[source]] pool with max_sources = 3.
# d polls three distinct members and serves stratum 3; one member in use is stopped; d drops it
# as unreachable, resolves again and polls the fourth address instead, staying synchronized.
. "$NTPLITE_SRC/tests/netns/netns.sh"

POOL=pool.test.invalid
REPLACE_LIMIT_S=60  # 8 unanswered polls at maxpoll 1 (2 s) + resolution, on a loaded machine

netns_init
for k in 1 2 3 4; do
    netns_host p$k $((20 + k))
    ns_ntpd p$k p$k "[local]
stratum = 2
$(srv_table "$(netns_ip p$k):123")"
done
netns_host d 30
netns_host c 100

hosts="$T/hosts"
{
    echo "127.0.0.1 localhost"
    for k in 1 2 3 4; do echo "$(netns_ip p$k) $POOL"; done
} > "$hosts"
# The fixture is private: the root namespace's hosts file does not know the test name (files
# only: a DNS query from the root namespace would leave the machine).
getent -s files hosts "$POOL" > /dev/null && fail "$POOL resolves outside the test (check /etc/hosts)"
in_ns d unshare -m --propagation private sh -c 'mount --bind "$0" /etc/hosts && exec getent -s files ahostsv4 "$1"' \
    "$hosts" "$POOL" | awk '$2 == "STREAM" { print $1 }' > "$T/resolved"
[ "$(wc -l < "$T/resolved")" = 4 ] || fail "the test resolver gives $(cat "$T/resolved") for $POOL, not 4 addresses"

t0=$(now_s)
ns_ntpd_hosts d d "$hosts" "[[source]]
mode = \"pool\"
address = \"$POOL\"
iburst = true
minpoll = 0
maxpoll = 1
max_sources = 3

$(srv_table "$IP_d:123")"

# in_use: the addresses d polls now (added minus dropped, from its log), one per line.
in_use() {
    grep -o "polling [0-9.]*:123\|dropping [0-9.]*:123" "$T/d.log" |
        awk '{ a = $2; sub(/:123$/, "", a); if ($1 == "polling") use[a] = 1; else delete use[a] }
             END { for (a in use) print a }' | sort
}
three_in_use() { [ "$(in_use | wc -l)" = 3 ]; }

wait_for 30 "d polls 3 pool members" three_in_use
wait_for 60 "d synchronized through the pool" ns_serving c "$IP_d" 3
measured "pool first selection" "$(elapsed_since "$t0")"
first=$(in_use)
spare=""
for k in 1 2 3 4; do
    echo "$first" | grep -qx "$(netns_ip p$k)" || spare=p$k
done
[ -n "$spare" ] || fail "could not tell the unused pool member from: $first"
ip_spare=$(netns_ip "$spare")
[ "$(ns_counter "$spare" received)" = 0 ] || fail "the unused member $spare got requests"
pass "d polls 3 distinct members of $POOL ($(echo $first)), not $ip_spare"

# Stop the member d selected (its refid), so the replacement has to be a real one.
victim_ip=$(sample probe refid)
victim=""
for k in 1 2 3 4; do [ "$(netns_ip p$k)" = "$victim_ip" ] && victim=p$k; done
[ -n "$victim" ] || fail "d's refid $victim_ip is not a pool member"
tk=$(now_s)
eval "ns_stop \$PID_$victim"
replaced() { grep -q "polling $ip_spare:123" "$T/d.log"; }
ok_answers=0
w0=$(now_s)
while ! replaced; do
    # d keeps serving synchronized from the two other members meanwhile.
    ns_serving c "$IP_d" 3 || fail "d stopped serving stratum 3 after losing $victim_ip"
    [ "$(sample probe refid)" != "$victim_ip" ] && ok_answers=$((ok_answers + 1))
    [ "$(awk -v a="$w0" -v b="$(now_s)" -v l=$REPLACE_LIMIT_S 'BEGIN { print (b - a > l) }')" = 0 ] ||
        fail "$victim_ip not replaced by $ip_spare within $REPLACE_LIMIT_S s"
    sleep 1
done
measured "pool member replaced (from stopping it)" "$(elapsed_since "$tk")"
grep -q "dropping $victim_ip:123 (unreachable)" "$T/d.log" || fail "d did not log dropping $victim_ip"
got=0
i=0
while [ $i -lt 20 ]; do
    got=$(ns_counter "$spare" received); [ "$got" -gt 0 ] && break
    i=$((i + 1)); sleep 0.5
done
[ "$got" -gt 0 ] || fail "the replacement $ip_spare never received a request"
[ "$(in_use | wc -l)" = 3 ] || fail "d polls $(in_use | wc -l) members after the replacement"
in_use | grep -qx "$victim_ip" && fail "d still polls the stopped member $victim_ip"
ns_serving c "$IP_d" 3 || fail "d not synchronized after the replacement"
pass "$victim_ip dropped as unreachable, replaced by $ip_spare ($got requests); d at stratum 3 throughout"
