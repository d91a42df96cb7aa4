#!/bin/sh
# Issue 15, NTS benchmark tool: ntp-loadgen in NTS mode (one NTS-KE exchange, then authenticated
# requests) against an ntpd-lite NTS server on loopback (observe mode, CAP_SYS_TIME dropped),
# rate-bounded for 2 s: every reply is valid, its unique id matches, its authenticator verifies
# under the S2C key, and no NTS NAK comes back. The NTP port is the one NTS-KE negotiated. A
# certificate from the wrong CA is refused before any load is sent.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/nts_lib.sh"

LOADGEN="$NTPLITE_BIN/tools/ntp-loadgen"
[ -x "$LOADGEN" ] || fail "ntp-loadgen not built ($LOADGEN)"
NTP=17523; KE=17560
make_test_pki
start_ntpd_lite "$(printf '[local]\nstratum = 5\n\n[[server]]\nlisten = "127.0.0.1:%s"\nthreads = 1\n\n[ratelimit]\nenabled = false\n\n[nts]\ncertificate = "%s"\nprivate_key = "%s"\nke_listen = ["127.0.0.1:%s"]\nkey_file = "%s"\n' \
    "$NTP" "$T/server.pem" "$T/server.key" "$KE" "$T/keys")" server
wait_udp_port 127.0.0.1 $NTP
wait_tcp_port 127.0.0.1 $KE

"$LOADGEN" --nts-ke 127.0.0.1:$KE --nts-ca "$T/ca.pem" --duration 2 --rate 20000 --json \
    > "$T/run.json" 2> "$T/loadgen.log" || fail "ntp-loadgen failed: $(cat "$T/loadgen.log")"
[ "$(json_get "$T/run.json" "j['target']")" = "127.0.0.1:$NTP" ] ||
    fail "load did not go to the negotiated NTP port: $(cat "$T/run.json")"
valid=$(json_get "$T/run.json" "j['valid']")
invalid=$(json_get "$T/run.json" "j['invalid'] + j['duplicates']")
naks=$(json_get "$T/run.json" "j['nts_naks']")
verified=$(json_get "$T/run.json" "j['nts_verified']")
[ "$(json_get "$T/run.json" "j['nts']")" = True ] || fail "not an NTS run"
[ "$valid" -gt 1000 ] || fail "too few valid NTS replies ($valid): $(cat "$T/run.json")"
[ "$invalid" -eq 0 ] || fail "$invalid invalid NTS replies: $(cat "$T/run.json")"
[ "$naks" -eq 0 ] || fail "$naks NTS NAKs from a fresh server"
[ "$verified" -eq "$valid" ] || fail "authenticators verified $verified of $valid"
pass "ntp-loadgen NTS mode: $valid valid replies, all authenticated, 0 invalid, 0 NAK"

# The certificate name can be a DNS name of the certificate (never resolved).
"$LOADGEN" --nts-ke 127.0.0.1:$KE --nts-ca "$T/ca.pem" --nts-name ntp.test --duration 0.3 \
    --rate 1000 --json > "$T/named.json" 2> "$T/loadgen.log" ||
    fail "ntp-loadgen with --nts-name ntp.test failed: $(cat "$T/loadgen.log")"
pass "certificate checked for --nts-name ntp.test"

rc=0
"$LOADGEN" --nts-ke 127.0.0.1:$KE --nts-ca "$T/other-ca.pem" --duration 0.3 --rate 1000 \
    > "$T/wrongca.out" 2> "$T/wrongca.log" || rc=$?
[ $rc -eq 1 ] && grep -q 'certificate' "$T/wrongca.log" ||
    fail "a certificate from another CA was not refused (rc=$rc): $(cat "$T/wrongca.log")"
[ ! -s "$T/wrongca.out" ] || fail "load was sent after a failed key exchange"
pass "certificate from another CA refused: $(cat "$T/wrongca.log")"
