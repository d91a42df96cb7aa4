#!/bin/sh
# Unmodified programs under the clock shim, on loopback, never touching the real clock:
#  1. ntpq-lite under the shim (+5 s) queries a real chronyd: its clock reads AND its kernel RX
#     timestamps (recvmsg cmsgs) are in the emulated timescale, so it measures -5 s with a
#     small positive delay (an untranslated RX timestamp would give a delay near -5 s);
#  2. chronyd (-x, CAP_SYS_TIME dropped) under the shim (-2.5 s) serves the emulated time:
#     a real ntpq-lite measures -2.5 s. A shimmed server is also a way to get a falseticker.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/shim/shim.sh"

near() { python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) < float(sys.argv[3]) else 1)" "$@"; }

start_chronyd_server 11193 127.0.0.1 10
$DROP_TIME env LD_PRELOAD="$SHIM_LIB" NTPLITE_SHIM_OFFSET_NS=5000000000 \
    "$NTPQ" query 127.0.0.1:11193 --json > "$T/q1.json" 2> "$T/q1.log" || fail "ntpq-lite under the shim exited $?"
s='j["samples"][0]'
off=$(json_get "$T/q1.json" "$s[\"offset_ns\"]")
delay=$(json_get "$T/q1.json" "$s[\"delay_ns\"]")
[ "$(json_get "$T/q1.json" "$s[\"kernel_rx_timestamp\"]")" = True ] || fail "no kernel RX timestamp used"
near "$off" -5000000000 5000000 || fail "ntpq-lite under the shim measured $off ns, expected -5 s"
near "$delay" 25000000 25000000 || fail "delay $delay ns not in [0, 50 ms): RX timestamp not translated?"
pass "ntpq-lite under the shim: offset $off ns, delay $delay ns, kernel RX timestamp"

conf="$T/chrony-shim.conf"
cat > "$conf" <<CONF
port 11194
bindaddress 127.0.0.1
local stratum 10
allow 127.0.0.1
cmdport 0
bindcmdaddress /
pidfile $T/chronyd-shim.pid
CONF
start_under_clock_shim -2500000000 0 "$T/chrony.state" chronyd -x -d -f "$conf"
wait_udp_port 127.0.0.1 11194
"$NTPQ" query 127.0.0.1:11194 --json > "$T/q2.json" 2> "$T/q2.log" || fail "query of the shimmed chronyd exited $?"
off=$(json_get "$T/q2.json" "$s[\"offset_ns\"]")
near "$off" -2500000000 5000000 || fail "shimmed chronyd serves $off ns, expected -2.5 s"
[ "$(shim_value "$T/chrony.state" steps)" = 0 ] || fail "chronyd -x adjusted the emulated clock"
pass "chronyd under the shim serves the emulated time: offset $off ns"
