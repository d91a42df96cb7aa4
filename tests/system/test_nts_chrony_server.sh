#!/bin/sh
# Issue 15, NTS client: ntpd-lite (observe mode, CAP_SYS_TIME dropped) takes its time from
# Debian's chronyd 4.3 over NTS. chronyd's NTP port is not 123 and ntpd-lite is only told the
# NTS-KE port: it must use the port chronyd negotiates. Checked: ntpd-lite selects chronyd and
# chronyd counts authenticated NTP packets. Negative cases, each must leave the source unusable
# with the key exchange failure named, and no plain NTP packet ever sent to chronyd: wrong CA,
# expired certificate, certificate for another address, NTS-KE server down (retried with backoff).
# On-path attacks through a relay: a bit flipped in every reply, and a replayed reply.
# Monitoring: the source's NTS-KE exchanges and failures by kind in the JSON snapshot (and the
# Prometheus metrics): certificate for the wrong CA, connect for a KE server that is down.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/nts_lib.sh"

make_test_pki
NTP=16123; KE=16460

client_conf() {  # client_conf NAME KE_PORT CA [NTP_PORT]
    printf '[log]\nlevel = "debug"\n\n[control]\nsocket = "%s"\n\n' "$T/$1.ctl"
    printf '[[source]]\nmode = "server"\naddress = "127.0.0.1%s"\nnts = true\n' "${4:+:$4}"
    printf 'trusted_ca = "%s"\nke_port = %s\niburst = true\nminpoll = 0\nmaxpoll = 1\n' "$3" "$2"
    printf '\n[clock]\nmode = "observe"\n'
}

# --- the good case -------------------------------------------------------------------------------
start_chronyd_nts_server up $NTP $KE "$T/server.pem" "$T/server.key"
start_ntpd_lite "$(client_conf good $KE "$T/ca.pem")" good
LOG="$T/good.log"
wait_log "source 127.0.0.1:.* -> selected" 30
pass "ntpd-lite selects chronyd over NTS (port negotiated: $NTP)"
"$NTPQ" snapshot --socket "$T/good.ctl" > "$T/good.json" || fail "good: no snapshot"
[ "$(json_get "$T/good.json" 'j["sources"][0]["auth"]["nts"]["ke_exchanges"]')" -ge 1 ] ||
    fail "good: no key exchange counted: $(cat "$T/good.json")"
[ "$(json_get "$T/good.json" 'sum(j["sources"][0]["auth"]["nts"]["ke_failures"].values())')" -eq 0 ] ||
    fail "good: key exchange failures counted"
authed=$(chrony_serverstat "$T/up.sock" "Authenticated NTP packets")
[ "${authed:-0}" -ge 3 ] || fail "chronyd counts $authed authenticated NTP packets"
pass "chronyd counts $authed authenticated NTP packets from ntpd-lite"
kill "$NTPD_PID"

# --- failures that must never fall back to plain NTP --------------------------------------------
plain_before=$(chrony_serverstat "$T/up.sock" "NTP packets received")
# expect_ke_count NAME KIND MIN: the running ntpd-lite NAME's only source counts at least MIN
# failed key exchanges of KIND (and no other kind, and no success) in its JSON snapshot.
expect_ke_count() {
    "$NTPQ" snapshot --socket "$T/$1.ctl" > "$T/$1.json" || fail "$1: no snapshot"
    nts='j["sources"][0]["auth"]["nts"]'
    n=$(json_get "$T/$1.json" "$nts[\"ke_failures\"][\"$2\"]")
    [ "$n" -ge "$3" ] || fail "$1: $n $2 failures counted, want >= $3: $(cat "$T/$1.json")"
    others=$(json_get "$T/$1.json" "sum(v for k, v in $nts[\"ke_failures\"].items() if k != \"$2\")")
    [ "$others" -eq 0 ] || fail "$1: failures of other kinds counted: $(json_get "$T/$1.json" "$nts")"
    [ "$(json_get "$T/$1.json" "$nts[\"ke_exchanges\"]")" -eq 0 ] || fail "$1: an exchange counted"
    pass "$1: the snapshot counts $n $2 failure(s) and no other kind"
}
expect_ke_failure() {  # expect_ke_failure NAME KIND CONFIG
    start_ntpd_lite "$3" "$1"
    LOG="$T/$1.log"
    wait_log "nts: key exchange with .* failed: $2" 20
    wait_log "retrying in [0-9]* s" 5
    grep -q -- '-> selected' "$LOG" && fail "$1: a source was selected"
    expect_ke_count "$1" "$2" 1
    kill "$NTPD_PID"; wait "$NTPD_PID" 2>/dev/null || true
    pass "$1: key exchange refused ($(grep -o "failed: $2[^;]*" "$LOG" | head -n 1))"
}
expect_ke_failure wrongca certificate "$(client_conf wrongca $KE "$T/other-ca.pem")"
start_chronyd_nts_server expired 16124 16461 "$T/expired.pem" "$T/expired.key"
expect_ke_failure expired certificate "$(client_conf expired 16461 "$T/ca.pem")"
start_chronyd_nts_server othername 16125 16462 "$T/othername.pem" "$T/othername.key"
expect_ke_failure wrongname certificate "$(client_conf wrongname 16462 "$T/ca.pem")"
plain_after=$(chrony_serverstat "$T/up.sock" "NTP packets received")
[ "$plain_after" = "$plain_before" ] ||
    fail "NTP packets reached chronyd without a key exchange ($plain_before -> $plain_after)"
for s in expired othername; do
    n=$(chrony_serverstat "$T/$s.sock" "NTP packets received")
    [ "${n:-0}" -eq 0 ] || fail "$s: chronyd received $n NTP packets without a key exchange"
done
pass "no NTP packet was sent without a successful key exchange"

# NTS-KE server down: nothing on the KE port; retried with growing backoff, no plain NTP to the
# NTP port it would have used (chronyd 'up' on 16123 is still there and must see nothing).
start_ntpd_lite "$(client_conf down 16499 "$T/ca.pem" $NTP)" down
LOG="$T/down.log"
wait_log "failed: connect.*retrying in 2 s" 10
wait_log "failed: connect.*retrying in 4 s" 10
expect_ke_count down connect 2
kill "$NTPD_PID"; wait "$NTPD_PID" 2>/dev/null || true
[ "$(chrony_serverstat "$T/up.sock" "NTP packets received")" = "$plain_after" ] ||
    fail "plain NTP was sent while NTS-KE was down"
pass "NTS-KE down: retried with backoff (2 s, 4 s), no plain NTP"

# --- on-path tampering ------------------------------------------------------------------------
# An ntpd-lite NTS server (serving its local clock) whose NTS-KE names the port of a relay in
# front of its real NTP port (chronyd always names its own port), so the client's NTP traffic
# crosses the relay. A flipped bit or a replayed reply must be refused, counted, never used.
SRV_NTP=16300; SRV_KE=16301
start_ntpd_lite "[local]
stratum = 5

[[server]]
listen = \"127.0.0.1:$SRV_NTP\"
threads = 1

[nts]
certificate = \"$T/server.pem\"
private_key = \"$T/server.key\"
ke_listen = [\"127.0.0.1:$SRV_KE\"]
key_file = \"$T/srv-keys\"
ntp_port = 16302" nts-server
wait_tcp_port 127.0.0.1 $SRV_KE
SERVER_PID=$NTPD_PID

tamper() {  # tamper MODE EXPECTED_LOG_PATTERN
    python3 "$NTPLITE_SRC/tests/system/nts_mitm.py" "$1" 16302 $SRV_NTP "$T/relay-$1.count" &
    relay_pid=$!
    _PIDS="$_PIDS $relay_pid"
    wait_udp_port 127.0.0.1 16302
    start_ntpd_lite "$(client_conf "tamper-$1" $SRV_KE "$T/ca.pem")" "tamper-$1"
    LOG="$T/tamper-$1.log"
    wait_log "$2" 20
    sleep 3
    grep -q -- '-> selected' "$LOG" && fail "$1: a tampered source was selected"
    kill "$NTPD_PID" "$relay_pid"; wait "$NTPD_PID" 2>/dev/null || true
    pass "$1: refused ($(grep -c -- "$2" "$LOG") replies; relay $(cat "$T/relay-$1.count"))"
}
tamper flip "bad-mac"
tamper replay "nts-bad-unique-id"
kill "$SERVER_PID"
