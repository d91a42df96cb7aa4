#!/bin/sh
# chronyd -Q (query only, never sets the clock) against ntpd-lite serving its local clock at
# stratum 5, over IPv4 and IPv6: chrony accepts the answer and measures |offset| < 1 ms. Against
# an unsynchronized ntpd-lite (no [local]) chrony must get no usable sample.
. "$NTPLITE_SRC/tests/system/lib.sh"

start_ntpd_lite '[local]
stratum = 5

[[server]]
listen = "127.0.0.1:12123"
threads = 2

[[server]]
listen = "[::1]:12123"
threads = 1' local
wait_udp_port 127.0.0.1 12123
wait_udp_port '[::1]' 12123

check_offset() {  # check_offset ADDR PORT
    out=$($DROP_TIME timeout 30 chronyd -Q -t 20 -f /dev/null "server $1 port $2 iburst maxsamples 1" 2>&1) || true
    echo "$out" | grep -q 'System clock wrong by' || fail "chronyd got no sample from $1 port $2: $out"
    offset=$(echo "$out" | sed -n 's/.*System clock wrong by \(-\{0,1\}[0-9.]*\) seconds.*/\1/p')
    python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1])) < 0.001 else 1)" "$offset" ||
        fail "offset $offset s from $1 port $2 is not below 1 ms"
    pass "chronyd -Q against ntpd-lite at $1 port $2: offset $offset s"
}
check_offset 127.0.0.1 12123
check_offset ::1 12123
[ "$(ntpd_counter answered local)" -ge 2 ] || fail "answers not counted"

# Unsynchronized: chrony must refuse to use it (LI=3 / stratum 0 on the wire).
start_ntpd_lite '[[server]]
listen = "127.0.0.1:12124"
threads = 1' unsync
wait_udp_port 127.0.0.1 12124
out=$($DROP_TIME timeout 30 chronyd -Q -t 6 -f /dev/null 'server 127.0.0.1 port 12124 iburst maxsamples 1' 2>&1) || true
echo "$out" | grep -q 'System clock wrong by' && fail "chronyd used an unsynchronized server: $out"
[ "$(ntpd_counter answered unsync)" -ge 1 ] || fail "unsynchronized ntpd-lite did not answer chronyd"
pass "chronyd does not take time from an unsynchronized ntpd-lite"
