#!/bin/sh
# Issue 15, SIGHUP and authentication: the [auth] keyfile and the [nts] certificate are re-read
# by a reload, without a restart.
#  Server (ntpd-lite, 2 worker threads, probes from Python's hashlib, SHA1 MACs):
#   - a request signed with key 2 gets no reply while the keys file lacks key 2, a valid reply
#     after the file gains it and SIGHUP (on every worker), none again after it is removed;
#   - a broken keys file on reload is refused (clear error, daemon running) and the old keys
#     still answer;
#   - after the certificate and key files are replaced and SIGHUP, a new TLS connection
#     (openssl s_client) sees the new certificate; a key that does not match its certificate
#     is refused and the running certificate stays.
#  Client (ntpd-lite, [[source]] key = 1): with the wrong secret its requests are dropped by the
#  server; after its keys file is fixed and SIGHUP the source is authenticated; a reload whose
#  keys file no longer has key 1 is refused as a whole and the source keeps working.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/nts_lib.sh"
PROBE="$NTPLITE_SRC/tests/system/auth_probe.py"

PORT=17123; KE_PORT=17460; CLIENT_PORT=17124
K1=7EA62AE64D190114D46D5A082F948EC1DEADBEEF
K2=933F62BE1D604E68A81B557F18CFA200483F5B70
WRONG=00112233445566778899AABBCCDDEEFF00112233

make_test_pki
# A second certificate for the same names: the "renewed" one.
(
    cd "$T"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=renewed" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:ntp.test" -addext "extendedKeyUsage=serverAuth" \
        -keyout renewed.key -out renewed.csr 2>/dev/null
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in renewed.csr \
        -out renewed.pem -notext -days 2 2>/dev/null
) || fail "could not make the renewed certificate"
cp "$T/server.pem" "$T/live.pem"; cp "$T/server.key" "$T/live.key"

printf '1 SHA1 HEX:%s\n' $K1 > "$T/server.keys"
chmod 600 "$T/server.keys"
start_ntpd_lite "
[local]
stratum = 5

[auth]
keyfile = \"$T/server.keys\"

[[server]]
listen = \"127.0.0.1:$PORT\"
threads = 2

[nts]
certificate = \"$T/live.pem\"
private_key = \"$T/live.key\"
ke_listen = [\"127.0.0.1:$KE_PORT\"]
" server
SERVER_PID=$NTPD_PID
wait_udp_port 127.0.0.1 $PORT
wait_tcp_port 127.0.0.1 $KE_PORT

printf '1 SHA1 HEX:%s\n' $WRONG > "$T/client.keys"
chmod 600 "$T/client.keys"
start_ntpd_lite "
[auth]
keyfile = \"$T/client.keys\"

[control]
socket = \"$T/client.sock\"

[[server]]
listen = \"127.0.0.1:$CLIENT_PORT\"
threads = 1

[[source]]
address = \"127.0.0.1:$PORT\"
key = 1
iburst = true
minpoll = 0
maxpoll = 0
" client
CLIENT_PID=$NTPD_PID

# count KEYID HEX: "answered A of 8" from 8 requests MAC'd with that key.
count() { python3 "$PROBE" count 127.0.0.1 $PORT "$1" "$2" 8 || fail "probe with key $1: bad reply"; }
# hup NAME PATTERN: SIGHUP ntpd-lite NAME and wait for one more log line matching PATTERN.
hup() {
    LOG="$T/$1.log"; NTPD_PID=$(eval echo "\$$(echo "$1" | tr a-z A-Z)_PID")
    n=$(grep -c -- "$2" "$LOG" || true)
    kill -HUP "$NTPD_PID"
    i=0
    while [ "$(grep -c -- "$2" "$LOG" || true)" -le "$n" ]; do
        i=$((i+1)); [ $i -lt 50 ] || fail "$1: no new log line matching '$2' after SIGHUP"
        kill -0 "$NTPD_PID" 2>/dev/null || fail "$1 exited"
        sleep 0.1
    done
}
subject() {  # the certificate a new NTS-KE connection sees
    echo | timeout 5 openssl s_client -connect 127.0.0.1:$KE_PORT -alpn ntske/1 -CAfile "$T/ca.pem" \
        2>/dev/null | openssl x509 -noout -subject 2>/dev/null | sed 's/.*CN *= *//'
}
snap() { "$NTPQ" snapshot --socket "$T/client.sock" > "$T/snap.json" || fail "client snapshot"; }
src_auth() { json_get "$T/snap.json" "j['sources'][0]['auth']['$1']"; }

# ---- symmetric keys on the server ----------------------------------------------------------
r=$(count 1 $K1); [ "$r" = "answered 8 of 8" ] || fail "key 1 before any reload: $r"
r=$(count 2 $K2); [ "$r" = "answered 0 of 8" ] || fail "key 2 answered before it is in the file: $r"
pass "before: key 1 answered 8 of 8, key 2 (not in the file) 0 of 8"

printf '1 SHA1 HEX:%s\n2 SHA1 HEX:%s\n' $K1 $K2 > "$T/server.keys"
hup server "reload: 2 symmetric key(s) from"
r=$(count 2 $K2); [ "$r" = "answered 8 of 8" ] || fail "key 2 after it was added and SIGHUP: $r"
grep -q "reload: applied .*\[auth\] keyfile" "$T/server.log" || fail "reload did not report [auth] keyfile applied"
pass "key 2 added + SIGHUP: answered 8 of 8 (from 8 source ports, spread by SO_REUSEPORT over the 2 workers), same pid $SERVER_PID"

printf '1 SHA1 HEX:%s\n' $K1 > "$T/server.keys"
hup server "reload: 1 symmetric key(s) from"
r=$(count 2 $K2); [ "$r" = "answered 0 of 8" ] || fail "key 2 still answered after removal: $r"
r=$(count 1 $K1); [ "$r" = "answered 8 of 8" ] || fail "key 1 after key 2 was removed: $r"
pass "key 2 removed + SIGHUP: 0 of 8 for key 2, key 1 still 8 of 8"

printf '1 SHA1 HEX:%s\n2 SHA999 HEX:%s\n' $K1 $K2 > "$T/server.keys"
hup server "reload refused"
grep -q "reload: \[auth\] keyfile: $T/server.keys:2: " "$T/server.log" ||
    fail "no clear error for the broken keys file: $(grep reload "$T/server.log")"
kill -0 "$SERVER_PID" || fail "server exited on a broken keys file"
r=$(count 1 $K1); [ "$r" = "answered 8 of 8" ] || fail "old key 1 after a refused reload: $r"
r=$(count 2 $K2); [ "$r" = "answered 0 of 8" ] || fail "key 2 of the refused file answered: $r"
pass "broken keys file: reload refused ($(grep -o "keyfile: $T/server.keys:2: .*" "$T/server.log" | tail -n 1 | sed "s|$T/||")), old keys still answer"
printf '1 SHA1 HEX:%s\n' $K1 > "$T/server.keys"

# ---- the NTS-KE certificate ----------------------------------------------------------------
s=$(subject); [ "$s" = "server" ] || fail "certificate before the reload: '$s'"
cp "$T/renewed.pem" "$T/live.pem"; cp "$T/renewed.key" "$T/live.key"
hup server "certificate $T/live.pem re-loaded"
s=$(subject); [ "$s" = "renewed" ] || fail "new connection after renewal + SIGHUP sees '$s'"
pass "certificate files replaced + SIGHUP: a new TLS connection sees CN=$s"
cp "$T/server.key" "$T/live.key"  # a key that does not match the certificate
hup server "reload refused"
grep -q "reload: \[nts\] certificate: private key $T/live.key: .*key values mismatch" "$T/server.log" ||
    fail "no clear error for a mismatched key: $(grep reload "$T/server.log" | tail -n 3)"
s=$(subject); [ "$s" = "renewed" ] || fail "after a refused certificate: '$s'"
pass "mismatched private key: reload refused, the running certificate (CN=$s) still served"

# ---- symmetric keys on the client ----------------------------------------------------------
snap
[ "$(src_auth authenticated)" = 0 ] || fail "client authenticated with the wrong secret: $(cat "$T/snap.json")"
bad=$(NTPD_PID=$SERVER_PID ntpd_counter auth_bad_mac server)
[ "$bad" -ge 1 ] || fail "the client's wrong-secret requests never reached the server"
printf '1 SHA1 HEX:%s\n' $K1 > "$T/client.keys"
hup client "reload: 1 symmetric key(s) from"
i=0
until snap && [ "$(src_auth authenticated)" -ge 1 ]; do
    i=$((i+1)); [ $i -lt 40 ] || fail "client source not authenticated after its keys file was fixed: $(cat "$T/snap.json")"
    sleep 0.2
done
before=$(src_auth authenticated)
pass "client: wrong secret -> 0 authenticated (server dropped $bad bad MACs); keys file fixed + SIGHUP -> $before authenticated reply(s)"

printf '7 SHA1 HEX:%s\n' $K1 > "$T/client.keys"
hup client "reload refused"
grep -q "reload: client.toml:[0-9]*: \[\[source\]\] key 1 is not in $T/client.keys" "$T/client.log" ||
    grep -q "reload: $T/client.toml:[0-9]*: \[\[source\]\] key 1 is not in $T/client.keys" "$T/client.log" ||
    fail "no clear error for a source key missing from the new keys file: $(grep reload "$T/client.log" | tail -n 3)"
i=0
until snap && [ "$(src_auth authenticated)" -gt "$before" ]; do
    i=$((i+1)); [ $i -lt 40 ] || fail "client source stopped working after a refused reload: $(cat "$T/snap.json")"
    sleep 0.2
done
pass "client: keys file without key 1 -> reload refused, source still authenticated ($(src_auth authenticated) replies)"

# ---- after the privilege drop: a root-only keys file -----------------------------------------
# The daemon runs as "nobody" and cannot read its root-only (0600) keys file any more: a reload
# that finds it unchanged (stat identity) does not need to read it and succeeds; once the file
# changed, the reload is refused with the reason and the fix, and the running keys stay.
chmod 711 "$T"  # "nobody" may stat (not list) the test's files
printf '1 SHA1 HEX:%s\n' $K1 > "$T/drop.keys"
chmod 600 "$T/drop.keys"
start_ntpd_lite "
[daemon]
user = \"nobody\"

[auth]
keyfile = \"$T/drop.keys\"

[local]
stratum = 5

[[server]]
listen = \"127.0.0.1:17125\"
threads = 1
" drop
DROP_PID=$NTPD_PID
wait_udp_port 127.0.0.1 17125
LOG="$T/drop.log"
wait_log "keyfile $T/drop.keys is not readable by \[daemon\] user \"nobody\"" 5
hup drop "reload: applied"
grep -q "reload refused" "$T/drop.log" && fail "unchanged root-only keys file refused the reload"
printf '1 SHA1 HEX:%s\n2 SHA1 HEX:%s\n' $K1 $K2 > "$T/drop.keys"
hup drop "reload refused"
grep -q "reload: \[auth\] keyfile: $T/drop.keys: .*a reload reads it as the daemon's user" "$T/drop.log" ||
    fail "no hint for an unreadable keys file: $(grep reload "$T/drop.log" | tail -n 3)"
r=$(python3 "$PROBE" count 127.0.0.1 17125 1 $K1 4); [ "$r" = "answered 4 of 4" ] || fail "drop: key 1 after the refused reload: $r"
pass "as user nobody: unchanged root-only keys file -> reload applied; changed -> refused with the fix ($(grep -o 'make it readable[^)]*)' "$T/drop.log" | head -n 1)), key 1 still answered"
