#!/bin/sh
# Access control on loopback: with allow = ["127.0.0.1"] a client bound to 127.0.0.3 gets
# nothing (and is counted as denied) while 127.0.0.1 is answered; a top-level deny list refuses
# one address of an otherwise open server.
. "$NTPLITE_SRC/tests/system/lib.sh"
PROBE="python3 $NTPLITE_SRC/tests/system/server_probe.py"

start_ntpd_lite '[local]
stratum = 5

[[server]]
listen = "127.0.0.1:12127"
threads = 2
allow = ["127.0.0.1"]' allow
wait_udp_port 127.0.0.1 12127

$PROBE 127.0.0.1 12127 --bind 127.0.0.3 --count 3 > "$T/denied.json"
[ "$(json_get "$T/denied.json" 'j["replies"]')" = 0 ] || fail "denied address got an answer: $(cat "$T/denied.json")"
$PROBE 127.0.0.1 12127 --bind 127.0.0.1 > "$T/allowed.json"
[ "$(json_get "$T/allowed.json" 'j["normal"]')" = 1 ] || fail "allowed address got no answer: $(cat "$T/allowed.json")"
[ "$(ntpd_counter denied allow)" = 3 ] || fail "denied counter is not 3"
[ "$(ntpd_counter answered allow)" = 1 ] || fail "answered counter is not 1"
pass "allow list: 127.0.0.3 dropped and counted, 127.0.0.1 answered"

start_ntpd_lite '[local]
stratum = 5

[access]
deny = ["127.0.0.4"]

[[server]]
listen = "127.0.0.1:12128"
threads = 1' deny
wait_udp_port 127.0.0.1 12128
$PROBE 127.0.0.1 12128 --bind 127.0.0.4 > "$T/deny4.json"
[ "$(json_get "$T/deny4.json" 'j["replies"]')" = 0 ] || fail "denied 127.0.0.4 got an answer"
$PROBE 127.0.0.1 12128 --bind 127.0.0.5 > "$T/allow5.json"
[ "$(json_get "$T/allow5.json" 'j["normal"]')" = 1 ] || fail "127.0.0.5 got no answer"
[ "$(ntpd_counter denied deny)" = 1 ] || fail "denied counter is not 1"
pass "deny list: 127.0.0.4 dropped, 127.0.0.5 answered"
