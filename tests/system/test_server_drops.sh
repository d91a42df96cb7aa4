#!/bin/sh
# Packets that must get no answer: mode 6 (control), mode 7, malformed (short, bad version),
# other modes; each is counted under its reason. A request with a MAC and no keys configured
# gets no reply at all (issue 15: never an unauthenticated answer to an authenticated request).
. "$NTPLITE_SRC/tests/system/lib.sh"
PROBE="python3 $NTPLITE_SRC/tests/system/server_probe.py"

start_ntpd_lite '[local]
stratum = 5

[[server]]
listen = "127.0.0.3:12123"
threads = 2

[control]
allow = []   # mode 6 from nobody (monitoring is tested in test_monitor_*.sh)' drops
wait_udp_port 127.0.0.3 12123

no_answer() {  # no_answer KIND
    $PROBE 127.0.0.3 12123 --kind "$1" --wait 0.5 > "$T/$1.json"
    [ "$(json_get "$T/$1.json" 'j["replies"]')" = 0 ] || fail "$1 packet was answered"
}
no_answer mode6
[ "$(ntpd_counter control drops)" = 1 ] || fail "control counter is not 1"
no_answer short
no_answer badversion
[ "$(ntpd_counter malformed drops)" = 2 ] || fail "malformed counter is not 2"
[ "$(ntpd_counter answered drops)" = 0 ] || fail "something was answered"
pass "mode 6 and malformed packets: no answer, counted as control=1 malformed=2"

$PROBE 127.0.0.3 12123 --version 3 > "$T/v3.json"
[ "$(json_get "$T/v3.json" '(j["normal"], j["version"], j["mode"])')" = "(1, 3, 4)" ] ||
    fail "NTPv3 request not answered as v3 mode 4: $(cat "$T/v3.json")"
[ "$(ntpd_counter rx_no_timestamp drops)" = 0 ] || fail "kernel receive timestamps missing"
pass "NTPv3 client answered in version 3 with kernel receive timestamps"

$PROBE 127.0.0.3 12123 --kind mac > "$T/mac.json"
[ "$(json_get "$T/mac.json" '(j["replies"], j["request_len"])')" = "(0, 72)" ] ||
    fail "request with a MAC: $(cat "$T/mac.json")"
[ "$(ntpd_counter auth_unknown_key drops)" = 1 ] || fail "MAC request not counted as auth_unknown_key"
pass "request with a MAC (72 bytes, no keys configured): no reply, counted auth_unknown_key=1"
