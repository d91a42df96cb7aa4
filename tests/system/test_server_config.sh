#!/bin/sh
# The daemon's life cycle: --check-config on the shipped example and on broken files (errors as
# file:line:column, non-zero exit), refusing to start on an invalid config, serving off without a
# [[server]] table, listening by interface name with the default thread count, and a clean exit
# on SIGTERM with the counter summary logged.
. "$NTPLITE_SRC/tests/system/lib.sh"
PROBE="python3 $NTPLITE_SRC/tests/system/server_probe.py"

"$NTPD" --check-config "$NTPLITE_SRC/packaging/ntpd-lite.toml" > "$T/example.out" 2>&1 ||
    fail "the example config does not validate: $(cat "$T/example.out")"
pass "packaging/ntpd-lite.toml validates"

printf '[local]\nstratum = 16\n\n[[server]]\nlisten = "127.0.0.1:12123"\nthreds = 2\n' > "$T/bad.toml"
if "$NTPD" --check-config "$T/bad.toml" > "$T/check.out" 2>&1; then fail "bad config accepted"; fi
grep -qx "$T/bad.toml:2:11: \"stratum\" = 16 is out of range (1..15)" "$T/check.out" ||
    fail "missing stratum error: $(cat "$T/check.out")"
grep -q "^$T/bad.toml:6:1: unknown key \"threds\" in \[\[server\]\]" "$T/check.out" ||
    fail "missing unknown-key error: $(cat "$T/check.out")"
pass "--check-config prints file:line:column errors and exits non-zero"

printf '[clock]\nmode = "observe"\n[[server]]\nlisten = "127.0.0.1:12123"\nthreads = 1\nbogus = 1\n' > "$T/bad2.toml"
if $DROP_TIME "$NTPD" --config "$T/bad2.toml" > "$T/refuse.log" 2>&1; then fail "started with a bad config"; fi
grep -q "^$T/bad2.toml:6:1: unknown key \"bogus\"" "$T/refuse.log" || fail "no error for the bad config: $(cat "$T/refuse.log")"
pass "refuses to start on an invalid config"

# No [[server]]: nothing listens.
start_ntpd_lite '[log]
level = "debug"' noserve
i=0; while ! grep -qs "not serving time" "$T/noserve.log"; do i=$((i+1)); [ $i -lt 50 ] || fail "no start-up log"; sleep 0.1; done
ss -Hlunp | grep -q "pid=$NTPD_PID," && fail "ntpd-lite listens without a [[server]] table"
pass "serving is off without a [[server]] table"

# Interface name, default port replaced, default thread count (one per core).
start_ntpd_lite '[local]
stratum = 6

[[server]]
listen = "lo:12129"' iface
wait_udp_port 127.0.0.1 12129
$PROBE 127.0.0.1 12129 > "$T/iface.json"
[ "$(json_get "$T/iface.json" '(j["normal"], j["stratum"], j["refid"], j["leap"])')" = "(1, 6, '127.127.1.1', 0)" ] ||
    fail "interface listener: $(cat "$T/iface.json")"
sockets=$(ss -Hlunp "sport = :12129" | grep -c "pid=$NTPD_PID,")
[ "$sockets" -ge "$(nproc)" ] || fail "expected at least one socket per core on lo:12129, got $sockets"
IFACE_PID=$NTPD_PID
pass "listen by interface name with one SO_REUSEPORT socket per core per address ($sockets sockets)"

# Wildcard listeners answer from the address each request was sent to (IP_PKTINFO): the probe's
# connected socket accepts only a reply from 127.0.0.9 / ::1.
start_ntpd_lite '[local]
stratum = 6

[[server]]
listen = "0.0.0.0:12130"
threads = 1

[[server]]
listen = "[::]:12130"
threads = 1' wildcard
wait_udp_port 0.0.0.0 12130
$PROBE 127.0.0.9 12130 > "$T/wild4.json"
[ "$(json_get "$T/wild4.json" 'j["normal"]')" = 1 ] || fail "wildcard IPv4: $(cat "$T/wild4.json")"
$PROBE ::1 12130 > "$T/wild6.json"
[ "$(json_get "$T/wild6.json" 'j["normal"]')" = 1 ] || fail "wildcard IPv6: $(cat "$T/wild6.json")"
pass "wildcard listeners (0.0.0.0, [::]) reply from the request's destination address"

NTPD_PID=$IFACE_PID
kill -TERM "$NTPD_PID"
wait "$NTPD_PID" || fail "ntpd-lite exited non-zero after SIGTERM"
grep -q "server counters: received=1 answered=1" "$T/iface.log" || fail "no shutdown summary"
grep -q "ntpd-lite stopped" "$T/iface.log" || fail "no clean stop"
pass "SIGTERM: clean exit 0 with the counter summary"
