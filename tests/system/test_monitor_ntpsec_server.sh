#!/bin/sh
# Issue 7: `ntpq-lite peers`, `status` and `source` against ntpsec's ntpd (a mode 6 server
# nobody on this team wrote). ntpsec only listens on addresses its interfaces carry and only on
# port 123, so it runs in a private network namespace (unshare -n) where ntpsec serves on 127.0.0.1 (private to the namespace) and a
# chronyd on a namespace-only veth (10.123.0.2:123) is its configured source. Both run with CAP_SYS_TIME dropped; ntpsec also gets
# `disable ntp` / `disable kernel`. Everything in the namespace dies with it.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/monitor_tools.sh"
ensure_ntpsec

cat > "$T/ntpsec.conf" <<CONF
disable ntp
disable kernel
interface ignore wildcard
interface ignore all
interface listen 127.0.0.1
interface listen 10.123.0.1
restrict default ignore
restrict 127.0.0.1
restrict 10.123.0.2
server 10.123.0.2 iburst minpoll 3 maxpoll 4
CONF
cat > "$T/chrony.conf" <<CONF
port 123
bindaddress 10.123.0.2
local stratum 9
allow 127.0.0.0/8
cmdport 0
bindcmdaddress /
pidfile $T/chronyd-ns.pid
CONF
cat > "$T/inner.sh" <<INNER
set -u
ip link set lo up
# chronyd needs an address that is not loopback (ntpsec refuses 127.x servers other than its own
# 127.0.0.1): one end of a veth pair that exists only in this namespace.
ip link add ntpl0 type veth peer name ntpl1
ip addr add 10.123.0.1/32 dev ntpl0
ip addr add 10.123.0.2/32 dev ntpl1
ip link set ntpl0 up
ip link set ntpl1 up
$DROP_TIME chronyd -x -d -f "$T/chrony.conf" > "$T/chronyd-ns.log" 2>&1 &
C=\$!
sleep 0.5   # chronyd binds 10.123.0.2:123 before ntpsec takes the wildcard
$DROP_TIME "$NTPSEC_ROOT/usr/sbin/ntpd" -n -c "$T/ntpsec.conf" -l "$T/ntpsec.log" > "$T/ntpsec-out.log" 2>&1 &
N=\$!
trap 'kill \$C \$N 2>/dev/null; wait' EXIT
# Wait (max 20 s) until ntpsec answers mode 6 and lists its configured association.
end=\$((\$(date +%s) + 20)); rc=1
while [ \$(date +%s) -lt \$end ]; do
    if "$NTPQ" peers --host 127.0.0.1 -t 0.5 --json > "$T/peers.json" 2> "$T/peers.err" &&
       grep -q '"remote": "10.123.0.2"' "$T/peers.json"; then rc=0; break; fi
    sleep 0.5
done
"$NTPQ" peers --host 127.0.0.1 > "$T/peers.txt" 2>&1
"$NTPQ" status --host 127.0.0.1 > "$T/status.txt" 2>&1; echo \$? > "$T/status.rc"
"$NTPQ" source --host 127.0.0.1 > "$T/source.txt" 2>&1; echo \$? > "$T/source.rc"
/usr/bin/python3 "$NTPSEC_ROOT/usr/bin/ntpq" -np 127.0.0.1 > "$T/ntpq-p.txt" 2>&1
exit \$rc
INNER
rc=0; unshare -n sh "$T/inner.sh" || rc=$?
cat "$T/peers.txt" "$T/ntpq-p.txt" "$T/status.txt" "$T/source.txt"
[ $rc = 0 ] || fail "ntpq-lite peers never listed ntpsec's association: $(cat "$T/peers.err" "$T/peers.txt")"
# ntpsec cannot reach a source inside this namespace in the test's time (reach stays 0), so the
# association is unselected and ntpsec unsynchronized: ntpq-lite must say exactly what ntpsec's
# own ntpq says about it, and say "not synchronized" plainly.
lite=$(grep -m1 '^ 10\.123\.0\.2 ' "$T/peers.txt" | awk '{print $1, $2, $3, $4, $5, $6, $7}')
real=$(grep '^ 10\.123\.0\.2 ' "$T/ntpq-p.txt" | awk '{print $1, $2, $3, $4, $5, $6, $7}')
[ -n "$real" ] || fail "ntpsec's ntpq lists no association"
[ "$lite" = "$real" ] || fail "ntpq-lite row '$lite' differs from ntpq -p row '$real'"
pass "ntpq-lite peers reads ntpsec's ntpd like ntpsec's ntpq does: $lite"
[ "$(json_get "$T/peers.json" 'j["schema"] + " " + j["peers"][0]["refid"] + " " + str(j["peers"][0]["stratum"])')" = "ntpq-lite.peers/1 INIT 16" ] ||
    fail "peers --json against ntpsec: $(cat "$T/peers.json")"
[ "$(cat "$T/status.rc")" = 6 ] || fail "status against unsynchronized ntpsec: exit $(cat "$T/status.rc"), expected 6"
grep -q "^Status          : unsynchronized: leap indicator 3" "$T/status.txt" || fail "status does not say unsynchronized"
grep -q "^Daemon          : ntpd ntpsec-" "$T/status.txt" || fail "status: ntpsec's version"
[ "$(cat "$T/source.rc")" = 6 ] || fail "source: exit $(cat "$T/source.rc")"
grep -q "^Free-running System Clock (unsynchronized: leap indicator 3 (clock never set or lost))$" "$T/source.txt" || fail "source line"
pass "ntpq-lite status/source against ntpsec: plainly not synchronized (exit 6)"
