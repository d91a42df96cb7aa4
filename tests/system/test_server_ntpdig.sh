#!/bin/sh
# ntpdig (ntpsec's SNTP client; it only speaks port 123) against ntpd-lite on 127.0.0.2:123
# serving at local stratum 4, and against an unsynchronized ntpd-lite on 127.0.0.6:123.
. "$NTPLITE_SRC/tests/system/lib.sh"
command -v ntpdig >/dev/null || fail "ntpdig is not installed (apt-get install ntpsec-ntpdig)"

start_ntpd_lite '[local]
stratum = 4

[[server]]
listen = "127.0.0.2"' local
wait_udp_port 127.0.0.2 123

out=$(timeout 20 ntpdig -j -t 3 127.0.0.2) || fail "ntpdig failed: $out"
echo "$out" > "$T/ntpdig.json"
[ "$(json_get "$T/ntpdig.json" 'j["stratum"]')" = 4 ] || fail "stratum: $out"
[ "$(json_get "$T/ntpdig.json" 'j["leap"]')" = "no-leap" ] || fail "leap: $out"
[ "$(json_get "$T/ntpdig.json" 'abs(j["offset"]) < 0.05')" = True ] || fail "offset: $out"
pass "ntpdig against ntpd-lite on 127.0.0.2:123: $out"

# Unsynchronized: ntpdig must not report a usable time.
start_ntpd_lite '[[server]]
listen = "127.0.0.6:123"
threads = 1' unsync
wait_udp_port 127.0.0.6 123
if out=$(timeout 20 ntpdig -j -t 2 127.0.0.6 2>&1) && echo "$out" | grep -q '"offset"'; then
    fail "ntpdig accepted an unsynchronized server: $out"
fi
[ "$(ntpd_counter answered unsync)" -ge 1 ] || fail "unsynchronized ntpd-lite did not answer ntpdig"
pass "ntpdig rejects an unsynchronized ntpd-lite ($out)"
