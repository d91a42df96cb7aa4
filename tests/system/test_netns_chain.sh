#!/bin/sh
# Issue 6, scenario 1: a stratum chain across network namespaces.
#   s1 ([local] stratum 1) -> s2 -> s3 -> c (an ntpd-lite client that serves too)
# Each server sits behind the delaying relay (5 ms each way: >= 10 ms per round trip), so root
# delay must accumulate along the chain. ntpq-lite queries from c's namespace check stratum,
# refid (= the upstream's address), root delay >= the sum of the hops' added delays, leap.
. "$NTPLITE_SRC/tests/netns/netns.sh"

DELAY_MS=5
HOP_NS=$((2 * DELAY_MS * 1000000))  # added round trip per hop
QUANTUM_NS=16000                    # NtpShort resolution (2^-16 s), once per hop

netns_init
netns_host s1 1
netns_host s2 2
netns_host s3 3
netns_host c 100
for n in 1 2 3; do ns_relay s$n relay$n "$NETNS_SUBNET.$n:123" "$NETNS_SUBNET.$n:1123" $DELAY_MS; done

t0=$(now_s)
ns_ntpd s1 s1 "[local]
stratum = 1
$(srv_table "$IP_s1:1123")"
ns_ntpd s2 s2 "$(src_table "$IP_s1")
$(srv_table "$IP_s2:1123")"
ns_ntpd s3 s3 "$(src_table "$IP_s2")
$(srv_table "$IP_s3:1123")"
ns_ntpd c c "$(src_table "$IP_s3")
$(srv_table 127.0.0.1:123)"

wait_for 60 "s2 serves stratum 2 via s1" ns_serving c "$IP_s2" 2 "$IP_s1"
measured "s2 first selection (from start)" "$(elapsed_since "$t0")"
wait_for 60 "s3 serves stratum 3 via s2" ns_serving c "$IP_s3" 3 "$IP_s2"
measured "s3 first selection (from start)" "$(elapsed_since "$t0")"
wait_for 60 "client serves stratum 4 via s3" ns_serving c 127.0.0.1 4 "$IP_s3"
measured "client first selection (from start)" "$(elapsed_since "$t0")"

# check_hop NAME HOST STRATUM REFID HOPS: the served state, with root delay >= HOPS hops' delay.
check_hop() {
    ns_query c "$2" "$1" || fail "$1 ($2) did not answer"
    st=$(sample "$1" stratum); ref=$(sample "$1" refid); leap=$(sample "$1" leap)
    rd=$(sample "$1" root_delay_ns)
    [ "$st" = "$3" ] || fail "$1: stratum $st, expected $3"
    [ "$ref" = "$4" ] || fail "$1: refid $ref, expected $4"
    [ "$leap" = 0 ] || fail "$1: leap indicator $leap, expected 0 (propagated from s1)"
    min=$(($5 * (HOP_NS - QUANTUM_NS)))
    [ "$rd" -ge "$min" ] || fail "$1: root delay $rd ns < $5 hop(s) of ${HOP_NS} ns"
    pass "$1: stratum $st, refid $ref, root delay $rd ns (>= $5 x $HOP_NS ns added), leap $leap"
}
check_hop s1 "$IP_s1" 1 .LOCL. 0
check_hop s2 "$IP_s2" 2 "$IP_s1" 1
check_hop s3 "$IP_s3" 3 "$IP_s2" 2
check_hop client 127.0.0.1 4 "$IP_s3" 3

# Root delay grows strictly down the chain.
rd2=$(sample s2 root_delay_ns); rd3=$(sample s3 root_delay_ns); rdc=$(sample client root_delay_ns)
[ "$rd2" -lt "$rd3" ] && [ "$rd3" -lt "$rdc" ] || fail "root delay not increasing: $rd2 $rd3 $rdc"
pass "root delay accumulates: s2 $rd2 < s3 $rd3 < client $rdc ns"
