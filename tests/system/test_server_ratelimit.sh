#!/bin/sh
# Rate limiting on loopback: a flood from 127.0.0.7 gets its burst answered, then one KoD RATE
# (none with kod = false) and nothing more except the leak fraction, while a second client,
# 127.0.0.8, is still answered.
. "$NTPLITE_SRC/tests/system/lib.sh"
PROBE="python3 $NTPLITE_SRC/tests/system/server_probe.py"

# One thread: the flood and the check are on one worker's table for sure.
start_ntpd_lite '[local]
stratum = 5

[[server]]
listen = "127.0.0.2:12123"
threads = 1

[ratelimit]
interval_log2 = 6
burst = 4
leak = 0.0
kod = true' kod
wait_udp_port 127.0.0.2 12123

$PROBE 127.0.0.2 12123 --bind 127.0.0.7 --count 200 > "$T/flood.json"
# The burst is answered, then one KoD RATE; the rest is dropped (no 1:1 reflection).
[ "$(json_get "$T/flood.json" '(j["normal"], j["kod_rate"], j["replies"])')" = "(4, 1, 5)" ] ||
    fail "flood: expected 4 answers and 1 KoD: $(cat "$T/flood.json")"
[ "$(json_get "$T/flood.json" 'j["max_len"] <= j["request_len"]')" = True ] || fail "reply longer than request"
$PROBE 127.0.0.2 12123 --bind 127.0.0.8 > "$T/other.json"
[ "$(json_get "$T/other.json" 'j["normal"]')" = 1 ] || fail "second client not answered: $(cat "$T/other.json")"
$PROBE 127.0.0.2 12123 --bind 127.0.0.7 --wait 0.5 > "$T/again.json"
[ "$(json_get "$T/again.json" 'j["replies"]')" = 0 ] || fail "flooder not still limited: $(cat "$T/again.json")"
[ "$(ntpd_counter rate_limited kod)" = 197 ] || fail "rate_limited counter is not 197"
[ "$(ntpd_counter kod_rate kod)" = 1 ] || fail "kod_rate counter is not 1"
[ "$(ntpd_counter rate_dropped kod)" = 196 ] || fail "rate_dropped counter is not 196"
pass "flood of 200 from 127.0.0.7: 4 answered, 1 KoD RATE, 195 dropped; 127.0.0.8 still answered"

start_ntpd_lite '[local]
stratum = 5

[[server]]
listen = "127.0.0.2:12124"
threads = 1

[ratelimit]
interval_log2 = 6
burst = 2
leak = 0.5
kod = false' leak
wait_udp_port 127.0.0.2 12124
$PROBE 127.0.0.2 12124 --bind 127.0.0.7 --count 102 > "$T/leak.json"
# 2 burst + half of the 100 limited ones leak through; no KoD, the rest dropped.
[ "$(json_get "$T/leak.json" 'j["normal"]')" = 52 ] || fail "leak: $(cat "$T/leak.json")"
[ "$(json_get "$T/leak.json" 'j["kod_rate"]')" = 0 ] || fail "kod = false sent KoD"
[ "$(ntpd_counter rate_dropped leak)" = 50 ] || fail "rate_dropped counter"
$PROBE 127.0.0.2 12124 --bind 127.0.0.8 > "$T/other2.json"
[ "$(json_get "$T/other2.json" 'j["normal"]')" = 1 ] || fail "second client not answered"
pass "kod = false, leak = 0.5: 52 of 102 answered, the rest dropped silently"
