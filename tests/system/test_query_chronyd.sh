#!/bin/sh
# ntpq-lite query against Debian's chronyd serving its own clock on loopback (stratum 10, never
# touching the clock): text, JSON and --count output, checked field by field.
. "$NTPLITE_SRC/tests/system/lib.sh"

start_chronyd_server 11123 127.0.0.1 10

# One sample, text.
"$NTPQ" query 127.0.0.1:11123 > "$T/one.txt" 2> "$T/one.log" || fail "query exited $?: $(cat "$T/one.log")"
cat "$T/one.txt"
grep -q '^stratum  *10$' "$T/one.txt" || fail "stratum 10 not printed"
# chronyd in 'local' mode sends refid 127.127.1.1 (0x7F7F0101), printed as a dotted quad.
grep -q '^refid  *127\.127\.1\.1$' "$T/one.txt" || fail "refid 127.127.1.1 not printed"
grep -q '^leap indicator  *0 ' "$T/one.txt" || fail "leap indicator not 0"
for f in 'offset' 'delay' 'precision' 'root delay' 'root dispersion'; do
    grep -q "^$f  " "$T/one.txt" || fail "field '$f' missing"
done
offset=$(sed -n 's/^offset  *\([-+][0-9.]*\) ms.*/\1/p' "$T/one.txt")
python3 -c "import sys; o=float(sys.argv[1]); sys.exit(0 if abs(o) < 1 else 1)" "$offset" \
    || fail "|offset| $offset ms not below 1 ms (same clock on both ends)"
pass "text query: stratum 10, refid 127.127.1.1, offset $offset ms"

# One sample, JSON.
"$NTPQ" query 127.0.0.1:11123 --json > "$T/one.json" || fail "--json query exited $?"
[ "$(json_get "$T/one.json" 'j["schema"]')" = "ntpq-lite.query/1" ] || fail "schema"
[ "$(json_get "$T/one.json" 'j["exit_code"]')" = 0 ] || fail "exit_code"
[ "$(json_get "$T/one.json" 'j["error"]')" = None ] || fail "error not null"
s='j["samples"][0]'
[ "$(json_get "$T/one.json" "$s[\"ok\"]")" = True ] || fail "sample not ok"
[ "$(json_get "$T/one.json" "$s[\"stratum\"]")" = 10 ] || fail "json stratum"
[ "$(json_get "$T/one.json" "$s[\"refid\"]")" = 127.127.1.1 ] || fail "json refid"
[ "$(json_get "$T/one.json" "$s[\"port\"]")" = 11123 ] || fail "json port"
[ "$(json_get "$T/one.json" "abs($s[\"offset_ns\"]) < 1000000")" = True ] || fail "json offset"
[ "$(json_get "$T/one.json" "0 <= $s[\"delay_ns\"] < 100000000")" = True ] || fail "json delay"
for k in time_utc offset_s delay_s leap version precision_log2 root_delay_s root_dispersion_s \
         kernel_rx_timestamp; do
    [ "$(json_get "$T/one.json" "'$k' in $s")" = True ] || fail "json field $k missing"
done
pass "json query: schema and fields"

# Several samples: strip chart lines + summary, in text and JSON.
"$NTPQ" query 127.0.0.1:11123 --count 3 --interval 0.5 > "$T/three.txt" || fail "--count 3 exited $?"
cat "$T/three.txt"
n=$(grep -c '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]*  *[-+]0\.[0-9]*  *[0-9.]*  *|.*|$' "$T/three.txt") || true
[ "$n" = 3 ] || fail "expected 3 sample lines, got $n"
grep -q '3 requests, 3 valid, 0 failed' "$T/three.txt" || fail "summary counts"
grep -q '^offset  *min .* median .* max ' "$T/three.txt" || fail "offset summary"
grep -q '^delay  *min .* median .* max ' "$T/three.txt" || fail "delay summary"
"$NTPQ" query 127.0.0.1:11123 --count 3 --interval 0.5 --json > "$T/three.json" || fail "json count"
[ "$(json_get "$T/three.json" 'len(j["samples"])')" = 3 ] || fail "3 json samples"
[ "$(json_get "$T/three.json" 'j["summary"]["valid"]')" = 3 ] || fail "json summary valid"
[ "$(json_get "$T/three.json" 'j["summary"]["offset_ns"]["min"] <= j["summary"]["offset_ns"]["median"] <= j["summary"]["offset_ns"]["max"]')" = True ] \
    || fail "json summary order"
# The three samples are distinct measurements.
[ "$(json_get "$T/three.json" 'len({s["t1_unix_ns"] for s in j["samples"]})')" = 3 ] || fail "distinct samples"
pass "--count 3: 3 lines + summary"

# A name resolving to loopback (IPv4 and/or IPv6: whichever localhost has; chronyd binds only
# 127.0.0.1, so an IPv6 address first must be skipped quickly).
"$NTPQ" query localhost:11123 --timeout 2 > "$T/name.txt" || fail "query localhost exited $?"
grep -q '^stratum  *10$' "$T/name.txt" || fail "localhost: stratum"
pass "name resolution: localhost:11123"
