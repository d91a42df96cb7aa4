#!/bin/sh
# ntpq-lite query (one-shot SNTP) against ntpd-lite: a valid sample at the local stratum with a
# sub-millisecond offset; exit status 6 from an unsynchronized ntpd-lite; exit status 5 (KoD)
# once its client address has been rate limited.
. "$NTPLITE_SRC/tests/system/lib.sh"
PROBE="python3 $NTPLITE_SRC/tests/system/server_probe.py"
[ -x "$NTPQ" ] || fail "ntpq-lite is not built ($NTPQ)"

start_ntpd_lite '[local]
stratum = 7

[[server]]
listen = "127.0.0.1:12125"
threads = 1

[ratelimit]
interval_log2 = 6
burst = 8
leak = 0.0
kod = true' local
wait_udp_port 127.0.0.1 12125

"$NTPQ" query 127.0.0.1:12125 --json > "$T/query.json" || fail "ntpq-lite query failed: $(cat "$T/query.json")"
[ "$(json_get "$T/query.json" 'j["samples"][0]["stratum"]')" = 7 ] || fail "stratum"
[ "$(json_get "$T/query.json" 'j["samples"][0]["leap"]')" = 0 ] || fail "leap"
[ "$(json_get "$T/query.json" 'j["samples"][0]["refid_raw"] == 0x7f7f0101')" = True ] || fail "refid is not 127.127.1.1"
[ "$(json_get "$T/query.json" 'abs(j["samples"][0]["offset_s"]) < 0.001')" = True ] || fail "offset"
pass "ntpq-lite query: stratum 7 refid 127.127.1.1 (local fallback), offset $(json_get "$T/query.json" 'j["samples"][0]["offset_s"]') s"

# Use up the rest of the burst of 127.0.0.1 (ntpq-lite's source address on loopback; its first
# query took one of the 8): ntpq-lite's next request is the first limited one and gets the KoD.
$PROBE 127.0.0.1 12125 --bind 127.0.0.1 --count 7 > "$T/flood.json"
[ "$(json_get "$T/flood.json" 'j["normal"]')" = 7 ] || fail "burst not answered: $(cat "$T/flood.json")"
rc=0; "$NTPQ" query 127.0.0.1:12125 --json > "$T/kod.json" || rc=$?
[ "$rc" = 5 ] || fail "ntpq-lite after a flood: exit $rc, expected 5 (KoD): $(cat "$T/kod.json")"
pass "ntpq-lite reports KoD RATE (exit 5) once its address is rate limited"

start_ntpd_lite '[[server]]
listen = "127.0.0.1:12126"
threads = 1' unsync
wait_udp_port 127.0.0.1 12126
rc=0; "$NTPQ" query 127.0.0.1:12126 --json > "$T/unsync.json" || rc=$?
[ "$rc" = 6 ] || fail "unsynchronized ntpd-lite: exit $rc, expected 6 (unsynchronized)"
pass "ntpq-lite sees an unsynchronized ntpd-lite as unusable (exit $rc)"
