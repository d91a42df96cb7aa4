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
listen = "lo:12125"' iface
wait_udp_port 127.0.0.1 12125
$PROBE 127.0.0.1 12125 > "$T/iface.json"
[ "$(json_get "$T/iface.json" '(j["normal"], j["stratum"], j["refid_ascii"], j["leap"])')" = "(1, 6, 'LOCL', 0)" ] ||
    fail "interface listener: $(cat "$T/iface.json")"
sockets=$(ss -Hlunp "sport = :12125" | grep -c "pid=$NTPD_PID,")
[ "$sockets" -ge "$(nproc)" ] || fail "expected at least one socket per core on lo:12125, got $sockets"
pass "listen by interface name with one SO_REUSEPORT socket per core per address ($sockets sockets)"

kill -TERM "$NTPD_PID"
wait "$NTPD_PID" || fail "ntpd-lite exited non-zero after SIGTERM"
grep -q "server counters: received=1 answered=1" "$T/iface.log" || fail "no shutdown summary"
grep -q "ntpd-lite stopped" "$T/iface.log" || fail "no clean stop"
pass "SIGTERM: clean exit 0 with the counter summary"
