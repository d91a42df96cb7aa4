#!/bin/sh
# Issue 7: ntpsec's real `ntpq` (unpacked from Debian, see monitor_tools.sh) reads ntpd-lite over
# mode 6. ntpd-lite serves on 127.0.0.20:123 (ntpq speaks only port 123) and is synced to a
# loopback chronyd; `ntpq -p` must list chronyd as the system peer ('*') with its refid, stratum,
# poll and reach, and `ntpq -c rv` / `ntpq -c "rv 1"` must show the system and peer variables.
# ntpq-lite's own `peers` must agree with ntpq's table.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/monitor_tools.sh"
ensure_ntpsec

UP=127.0.0.1; UP_PORT=14123      # chronyd
ME=127.0.0.20                    # ntpd-lite on port 123

start_chronyd_server $UP_PORT $UP 10
start_ntpd_lite "
[[server]]
listen = \"$ME:123\"
threads = 1

[[source]]
mode = \"server\"
address = \"$UP:$UP_PORT\"
iburst = true
minpoll = 0
maxpoll = 2

[control]
allow = [\"127.0.0.0/8\"]

[clock]
mode = \"observe\"
" ntpd
wait_udp_port $ME 123
wait_synced $ME 123 30
sleep 2   # a few more samples, so reach and jitter are not trivial

$NTPQ_REAL -np $ME > "$T/ntpq-p.txt" 2> "$T/ntpq-p.err" || fail "ntpq -p failed: $(cat "$T/ntpq-p.err")"
cat "$T/ntpq-p.txt"
# "*127.0.0.1  127.127.1.1  10 u  when  poll reach  delay offset jitter"
line=$(grep '^\*127\.0\.0\.1 ' "$T/ntpq-p.txt") || fail "ntpq -p does not show chronyd as system peer"
set -- $line
[ "$2" = 127.127.1.1 ] || fail "ntpq -p refid '$2'"
[ "$3" = 10 ] || fail "ntpq -p stratum '$3'"
[ "$4" = u ] || fail "ntpq -p type '$4'"
[ "$6" = 1 ] || [ "$6" = 2 ] || [ "$6" = 4 ] || fail "ntpq -p poll '$6' (minpoll 0 .. maxpoll 2)"
case "$7" in *[!0-7]*|'') fail "ntpq -p reach '$7' is not octal" ;; esac
[ "$7" != 0 ] || fail "ntpq -p reach is 0"
python3 -c "import sys; d,o,j=map(float,sys.argv[1:4]); assert 0<=d<5 and abs(o)<1 and 0<=j<5" "$8" "$9" "${10}" ||
    fail "ntpq -p delay/offset/jitter '$8 $9 ${10}' not plausible ms"
pass "ntpq -p: chronyd is the system peer (reach $7, delay $8 ms, offset $9 ms)"

$NTPQ_REAL -c rv $ME > "$T/rv.txt" 2>&1 || fail "ntpq -c rv failed: $(cat "$T/rv.txt")"
cat "$T/rv.txt"
grep -q "associd=0 status=06.. leap_none, sync_ntp" "$T/rv.txt" || fail "rv: system status word"
for want in 'version="ntpd-lite' 'stratum=11' 'refid=127.0.0.1' 'peer=1' 'leap=00' 'precision=-' \
            'rootdelay=' 'rootdisp=' 'reftime=' 'clock=' 'offset=' 'frequency=' 'sys_jitter=' \
            'clk_jitter=' 'clk_wander=' 'tc=' 'mintc='; do
    grep -qF "$want" "$T/rv.txt" || fail "ntpq -c rv lacks $want"
done
$NTPQ_REAL -c "rv 1" $ME > "$T/rv1.txt" 2>&1 || fail "ntpq -c 'rv 1' failed"
cat "$T/rv1.txt"
grep -q "associd=1 status=96.. conf, reach, sel_sys.peer" "$T/rv1.txt" || fail "rv 1: peer status word"
for want in 'srcadr=127.0.0.1' "srcport=$UP_PORT" 'stratum=10' 'refid=127.127.1.1' 'hmode=3' 'pmode=4' \
            'reach=' 'hpoll=' 'ppoll=' 'delay=' 'offset=' 'jitter=' 'dispersion=' 'rootdelay=' 'rec='; do
    grep -qF "$want" "$T/rv1.txt" || fail "ntpq -c 'rv 1' lacks $want"
done
$NTPQ_REAL -c as $ME | grep -q "sys.peer" || fail "ntpq -c as: no sys.peer"
pass "ntpq -c rv / rv 1 / as: system and peer variables as ntpq expects"

# Refused operations come back as errors, not silence (and change nothing).
$NTPQ_REAL -c "mrulist" $ME > "$T/mru.txt" 2>&1 || true
grep -qi "BADOP\|error" "$T/mru.txt" || fail "mrulist was not refused: $(cat "$T/mru.txt")"
pass "ntpq mrulist refused with an error"

# ntpq-lite's table agrees with ntpq's on the columns that do not move.
"$NTPQ" peers --host $ME > "$T/lite.txt" || fail "ntpq-lite peers: exit $?"
cat "$T/lite.txt"
set -- $(grep '^\*' "$T/lite.txt")
[ "$1" = "*127.0.0.1" ] && [ "$2" = 127.127.1.1 ] && [ "$3" = 10 ] && [ "$4" = u ] ||
    fail "ntpq-lite peers disagrees with ntpq -p"
pass "ntpq-lite peers agrees with ntpsec's ntpq -p"

# Issue 12: `ntpq -c sysinfo` asks for peeradr/peermode/rootdist/authdelay in one request (no
# traceback, every field), and `rv &1 kiss` works on a source that was never kissed.
$NTPQ_REAL -n -c sysinfo $ME > "$T/sysinfo.txt" 2>&1 || fail "ntpq -c sysinfo failed: $(cat "$T/sysinfo.txt")"
cat "$T/sysinfo.txt"
! grep -q "Traceback" "$T/sysinfo.txt" || fail "ntpq -c sysinfo: traceback"
grep -q "^system peer: *127\.0\.0\.1:$UP_PORT" "$T/sysinfo.txt" || fail "sysinfo: system peer"
grep -q "^system peer mode: *client" "$T/sysinfo.txt" || fail "sysinfo: peer mode"
grep -q "^stratum: *11" "$T/sysinfo.txt" || fail "sysinfo: stratum"
grep -q "^root distance *[0-9]" "$T/sysinfo.txt" || fail "sysinfo: root distance"
grep -q "^reference ID: *127\.0\.0\.1" "$T/sysinfo.txt" || fail "sysinfo: reference ID"
$NTPQ_REAL -c "rv &1 kiss" $ME > "$T/kiss.txt" 2>&1 || fail "ntpq -c 'rv &1 kiss' failed: $(cat "$T/kiss.txt")"
cat "$T/kiss.txt"
grep -q '^kiss=' "$T/kiss.txt" || grep -q 'kiss=""' "$T/kiss.txt" || fail "rv &1 kiss: no kiss variable"
$NTPQ_REAL -c "rv &1 dstadr" $ME > "$T/dst.txt" 2>&1 || fail "ntpq -c 'rv &1 dstadr' failed"
grep -q "dstadr=127\.0\.0\.1" "$T/dst.txt" || fail "rv &1 dstadr is not our address towards chronyd: $(cat "$T/dst.txt")"
pass "ntpq -c sysinfo, rv &1 kiss, rv &1 dstadr"
