#!/bin/sh
# Issue 6, scenario 6: interop with chrony upstream.
#   k: Debian's chronyd (-x, CAP_SYS_TIME dropped) serving its local clock at stratum 4, behind
#      the delaying relay (3 ms each way);
#   s: ntpd-lite (observe mode) with k as its only source, serving downstream.
# s must select k and serve stratum = k's + 1 with refid = k's address and a root delay of at
# least the relay's added round trip.
. "$NTPLITE_SRC/tests/netns/netns.sh"

DELAY_MS=3

netns_init
netns_host k 1
netns_host s 2
netns_host c 100

t0=$(now_s)
ns_chronyd k k "port 1123
bindaddress $IP_k
local stratum 4
allow 10.99.0.0/24"
ns_wait_udp k "$IP_k" 1123
ns_relay k relay "$IP_k:123" "$IP_k:1123" $DELAY_MS
ns_query c "$IP_k" kq || fail "chronyd k does not answer"
k_stratum=$(sample kq stratum)
[ "$k_stratum" = 4 ] || fail "chronyd serves stratum $k_stratum, expected 4"

ts=$(now_s)
ns_ntpd s s "$(src_table "$IP_k")
$(srv_table "$IP_s:123")"
wait_for 60 "ntp-lite serves stratum $((k_stratum + 1)) via chronyd" ns_serving c "$IP_s" $((k_stratum + 1)) "$IP_k"
measured "ntp-lite selects chronyd (from ntp-lite start)" "$(elapsed_since "$ts")"
rd=$(sample probe root_delay_ns)
min=$((2 * DELAY_MS * 1000000 - 16000))
[ "$rd" -ge "$min" ] || fail "root delay $rd ns below the relay's round trip ($((2 * DELAY_MS)) ms)"
[ "$(sample probe leap)" = 0 ] || fail "leap $(sample probe leap), expected 0"
grep -q "source $IP_k:123: .* -> selected" "$T/s.log" || fail "ntp-lite did not log selecting chronyd"
pass "ntp-lite via chronyd (stratum $k_stratum): stratum $(sample probe stratum), refid $(sample probe refid), root delay $rd ns"
