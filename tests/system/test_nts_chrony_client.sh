#!/bin/sh
# Issue 15, NTS server: Debian's chronyd 4.3 is an NTS client of ntpd-lite (test CA made here,
# certificate for IP 127.0.0.1). chronyd gets 8 cookies from ntpd-lite's NTS-KE, selects
# ntpd-lite, and `chronyc authdata` shows NTS with a full cookie pool and no NAK. Then the
# server's master keys are replaced (a restart with a new key file: every cookie chronyd holds
# is from a rotated-out key): chronyd gets NTS NAKs, keys again, and selects ntpd-lite again.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/nts_lib.sh"

NTP=15223; KE=15460
make_test_pki
server_conf() {
    printf '[local]\nstratum = 5\n\n[[server]]\nlisten = "127.0.0.1:%s"\nthreads = 1\n\n' "$NTP"
    printf '[nts]\ncertificate = "%s"\nprivate_key = "%s"\nke_listen = ["127.0.0.1:%s"]\n' \
        "$T/server.pem" "$T/server.key" "$KE"
    printf 'key_file = "%s"\n\n[log]\nlevel = "debug"\n' "$1"
}
start_ntpd_lite "$(server_conf "$T/keys-a")" server
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

# Rotated-out keys: restart ntpd-lite with a fresh key file. chronyd's cookies no longer open.
kill "$NTPD_PID"; wait "$NTPD_PID" 2>/dev/null || true
start_ntpd_lite "$(server_conf "$T/keys-b")" server2
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
