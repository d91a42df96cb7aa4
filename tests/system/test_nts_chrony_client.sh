#!/bin/sh
# Issue 15, NTS server: Debian's chronyd 4.3 is an NTS client of ntpd-lite (test CA made here,
# certificate for IP 127.0.0.1). chronyd gets 8 cookies from ntpd-lite's NTS-KE, selects
# ntpd-lite, and `chronyc authdata` shows NTS with a full cookie pool and no NAK. Then the
# server's master keys are replaced (a restart with a new key file: every cookie chronyd holds
# is from a rotated-out key): chronyd gets NTS NAKs, keys again, and selects ntpd-lite again.
# Monitoring: the NTS-KE server's counters in the JSON snapshot, the Prometheus metrics and
# `ntpq-lite status` count chronyd's handshake and cookies, and connections that fail (plain TCP
# garbage, TLS with another ALPN) under their kind.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/nts_lib.sh"

NTP=15223; KE=15460; METRICS=127.0.0.1:15224
make_test_pki
server_conf() {  # server_conf KEY_FILE NAME
    printf '[local]\nstratum = 5\n\n[[server]]\nlisten = "127.0.0.1:%s"\nthreads = 1\n\n' "$NTP"
    printf '[control]\nsocket = "%s"\n\n[metrics]\nlisten = "%s"\n\n' "$T/$2.ctl" "$METRICS"
    printf '[nts]\ncertificate = "%s"\nprivate_key = "%s"\nke_listen = ["127.0.0.1:%s"]\n' \
        "$T/server.pem" "$T/server.key" "$KE"
    printf 'key_file = "%s"\n\n[log]\nlevel = "debug"\n' "$1"
}
start_ntpd_lite "$(server_conf "$T/keys-a" server)" server
wait_udp_port 127.0.0.1 $NTP
wait_tcp_port 127.0.0.1 $KE
[ -s "$T/keys-a" ] || fail "no key file written"
[ "$(stat -c %a "$T/keys-a")" = 600 ] || fail "key file is not mode 0600"

start_chronyd_nts_client client $NTP $KE "$T/ca.pem"
SOCK="$T/client.sock"
wait_selected() {  # wait_selected SECONDS
    i=0
    while ! chronyc -h "$SOCK" -c sources 2>/dev/null | grep -q '^\^,\*,127.0.0.1,5,'; do
        i=$((i+1)); [ $i -lt $(($1 * 10)) ] || fail "chronyd did not select ntpd-lite over NTS: $(chronyc -h "$SOCK" -c sources 2>&1) / $(chronyc -h "$SOCK" -c authdata 2>&1)"
        sleep 0.1
    done
}
wait_selected 30
auth=$(chronyc -h "$SOCK" -c authdata)
echo "authdata: $auth"
echo "$auth" | grep -q '^127.0.0.1,NTS,1,15,256,' || fail "chronyd does not use NTS with AES-SIV-CMAC-256: $auth"
cookies=$(echo "$auth" | cut -d, -f9); naks=$(echo "$auth" | cut -d, -f8)
[ "$cookies" -ge 7 ] || fail "chronyd's cookie pool is not refilled by ntpd-lite's replies ($cookies)"
[ "$naks" -eq 0 ] || fail "chronyd got NTS NAKs from a fresh server ($naks)"
grep -q 'NTS-KE: 8 cookies' "$T/server.log" || fail "ntpd-lite did not log the key exchange"
pass "chronyd selects ntpd-lite over NTS (cookies $cookies, NAK 0)"

# --- monitoring: the NTS-KE server's counters -----------------------------------------------
ke_json() { "$NTPQ" snapshot --socket "$T/server.ctl" > "$T/snap.json" && json_get "$T/snap.json" "$1"; }
[ "$(ke_json 'j["nts_ke_server"]["handshakes"]')" -ge 1 ] || fail "JSON: no NTS-KE handshake counted"
[ "$(ke_json 'j["nts_ke_server"]["cookies_issued"]')" -ge 8 ] || fail "JSON: fewer than 8 cookies counted"
[ "$(ke_json 'j["nts_ke_server"]["failures_total"]')" -eq 0 ] || fail "JSON: failures before any bad client"
# Two bad clients: plain TCP sending garbage (no TLS), and TLS 1.3 offering only http/1.1.
python3 - "$KE" <<'PY' || fail "bad NTS-KE clients could not connect"
import socket, ssl, sys
port = int(sys.argv[1])
with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    s.recv(100)  # the server's alert or close
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.set_alpn_protocols(["http/1.1"])
try:
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5)) as t:
        t.recv(100)
except (ssl.SSLError, OSError):
    pass  # refused in the handshake: what is expected
PY
i=0
until [ "$(ke_json 'j["nts_ke_server"]["failures"]["alpn"]')" -ge 1 ] &&
      [ "$(ke_json 'j["nts_ke_server"]["failures"]["tls_handshake"]')" -ge 1 ]; do
    i=$((i+1)); [ $i -lt 50 ] || fail "JSON: bad clients not counted by kind: $(ke_json 'j["nts_ke_server"]')"
    sleep 0.1
done
curl -sf "http://$METRICS/metrics" > "$T/metrics.txt" || fail "metrics endpoint not reachable"
python3 "$NTPLITE_SRC/tests/system/monitor_promparse.py" < "$T/metrics.txt" > /dev/null ||
    fail "metrics do not parse"
metric() { sed -n "s/^$1 //p" "$T/metrics.txt"; }
[ "$(metric ntpd_lite_nts_ke_handshakes_total)" -ge 1 ] || fail "metrics: no handshake"
[ "$(metric ntpd_lite_nts_ke_cookies_issued_total)" -ge 8 ] || fail "metrics: cookies issued"
[ "$(metric 'ntpd_lite_nts_ke_failures_total{kind="tls_handshake"}')" -ge 1 ] ||
    fail "metrics: plain TCP garbage not counted as tls_handshake"
[ "$(metric 'ntpd_lite_nts_ke_failures_total{kind="alpn"}')" -ge 1 ] ||
    fail "metrics: wrong ALPN not counted as alpn"
grep -q '^ntpd_lite_nts_key_info{key_id="[0-9a-f]\{8\}"} 1$' "$T/metrics.txt" || fail "metrics: no key id"
"$NTPQ" status --host 127.0.0.1 --port $NTP > "$T/status.txt" || true
# The row wraps at 80 columns: read it as one line.
ke_row=$(tr -s ' \n' ' ' < "$T/status.txt" | sed -n 's/.*NTS-KE server : //p')
echo "$ke_row" | grep -q '^[1-9][0-9]* handshakes, .*tls handshake.*alpn' ||
    fail "status: no NTS-KE server row with the failures: $(cat "$T/status.txt")"
pass "NTS-KE server counters in JSON, metrics and status ($ke_row)"

# Rotated-out keys: restart ntpd-lite with a fresh key file. chronyd's cookies no longer open.
kill "$NTPD_PID"; wait "$NTPD_PID" 2>/dev/null || true
start_ntpd_lite "$(server_conf "$T/keys-b" server2)" server2
wait_udp_port 127.0.0.1 $NTP
i=0
while :; do
    auth=$(chronyc -h "$SOCK" -c authdata)
    naks=$(echo "$auth" | cut -d, -f8)
    [ "$naks" -ge 1 ] && grep -q 'NTS-KE: 8 cookies' "$T/server2.log" && break
    i=$((i+1)); [ $i -lt 300 ] || fail "no NTS NAK and new key exchange after the key change: $auth"
    sleep 0.1
done
pass "cookies of rotated-out keys get an NTS NAK; chronyd keys again ($auth)"
if cmp -s "$T/keys-a" "$T/keys-b"; then fail "the second key file has the same keys"; fi
pass "the second key file has new keys"
