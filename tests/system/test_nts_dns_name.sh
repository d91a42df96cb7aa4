#!/bin/sh
# Issue 15, the NTS client's certificate check against a DNS name (the other NTS tests connect to
# IP literals): an ntpd-lite client with `address = "nts.test.internal"`, `nts = true` and the
# test CA as trusted_ca
#  - keys with an ntpd-lite NTS server whose certificate names only DNS:nts.test.internal and
#    gets authenticated samples;
#  - refuses a server whose certificate names only DNS:other.test.internal (KE error
#    "certificate: hostname mismatch" in the snapshot JSON) and sends that server no NTP at all.
# Names never reach the system resolver: everything runs in a private network and mount
# namespace (unshare -n -m) whose /etc/hosts is this test's fixture (both names -> 127.0.0.1)
# and whose resolv.conf points at a loopback port where no DNS server listens.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/nts_lib.sh"

make_test_pki
(
    cd "$T"
    for name in nts other; do  # certificates naming only a DNS name (no IP address)
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj "/CN=$name.test.internal" -addext "subjectAltName=DNS:$name.test.internal" \
            -addext "extendedKeyUsage=serverAuth" -keyout "dns-$name.key" -out "dns-$name.csr" \
            2>/dev/null
        openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in "dns-$name.csr" \
            -out "dns-$name.pem" -notext -days 2 2>/dev/null
    done
) || fail "could not make the DNS-name certificates"
[ -s "$T/dns-nts.pem" ] && [ -s "$T/dns-other.pem" ] || fail "DNS-name certificates missing"
openssl x509 -in "$T/dns-nts.pem" -noout -ext subjectAltName | grep -q "DNS:nts.test.internal" ||
    fail "certificate without the DNS name"

printf '127.0.0.1 localhost\n127.0.0.1 nts.test.internal\n127.0.0.1 other.test.internal\n' > "$T/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$T/resolv.conf"

server_conf() {  # server_conf NAME NTP_PORT KE_PORT CERT
    printf '[local]\nstratum = 5\n\n[[server]]\nlisten = "127.0.0.1:%s"\nthreads = 1\n\n' "$2"
    printf '[nts]\ncertificate = "%s.pem"\nprivate_key = "%s.key"\nke_listen = ["127.0.0.1:%s"]\n' \
        "$T/$4" "$T/$4" "$3"
    printf '\n[clock]\nmode = "observe"\n'
}
client_conf() {  # client_conf NAME ADDRESS KE_PORT
    printf '[log]\nlevel = "debug"\n\n[control]\nsocket = "%s"\n\n' "$T/$1.ctl"
    printf '[[source]]\naddress = "%s"\nnts = true\ntrusted_ca = "%s"\nke_port = %s\n' "$2" "$T/ca.pem" "$3"
    printf 'iburst = true\nminpoll = 0\nmaxpoll = 1\n\n[clock]\nmode = "observe"\n'
}
# good: server names nts.test.internal, client asks for nts.test.internal (NTP port negotiated).
server_conf good-server 17223 17461 dns-nts > "$T/good-server.toml"
client_conf good-client nts.test.internal 17461 > "$T/good-client.toml"
# bad: server names other.test.internal; the client asks for nts.test.internal, with that
# server's NTP port as its default, so plain NTP after a failed key exchange would reach it.
server_conf bad-server 17224 17462 dns-other > "$T/bad-server.toml"
client_conf bad-client nts.test.internal:17224 17462 > "$T/bad-client.toml"

cat > "$T/inner.sh" <<INNER
set -eu
ip link set lo up
mount --bind "$T/hosts" /etc/hosts
mount --bind "$T/resolv.conf" /etc/resolv.conf
fail() { echo "FAIL: \$*" >&2; exit 1; }
PIDS=""
trap 'kill \$PIDS 2>/dev/null; wait' EXIT
for n in good-server bad-server good-client bad-client; do
    if [ \$n = good-client ]; then  # the servers' NTS-KE listeners first
        i=0
        until ss -Hltn "src 127.0.0.1:17461" | grep -q . && ss -Hltn "src 127.0.0.1:17462" | grep -q .; do
            i=\$((i+1)); [ \$i -lt 50 ] || fail "NTS-KE listeners did not open"
            sleep 0.1
        done
    fi
    $DROP_TIME --inh-caps=-sys_time "$NTPD" --config "$T/\$n.toml" > "$T/\$n.log" 2>&1 &
    PIDS="\$PIDS \$!"
    case \$n in good-server) GOOD_SERVER=\$!;; bad-server) BAD_SERVER=\$!;; esac
done
getent hosts nts.test.internal > "$T/getent.txt" || fail "the hosts fixture does not resolve"
# The good client: key exchange done, then authenticated samples.
end=\$((\$(date +%s) + 10))
until "$NTPQ" snapshot --socket "$T/good-client.ctl" > "$T/good.json" 2>/dev/null &&
      python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["sources"][0]; sys.exit(0 if s["reach"] and s["auth"]["authenticated"] >= 3 else 1)' "$T/good.json"; do
    [ \$(date +%s) -lt \$end ] || fail "no authenticated samples from nts.test.internal: \$(cat "$T/good.json")"
    sleep 0.2
done
# The bad client: the key exchange fails on the name; retried, never an NTP packet.
end=\$((\$(date +%s) + 10))
until grep -q "nts: key exchange with nts.test.internal .* failed: certificate: .*retrying in 4 s" "$T/bad-client.log"; do
    [ \$(date +%s) -lt \$end ] || fail "no second failed key exchange: \$(tail -n 5 "$T/bad-client.log")"
    sleep 0.2
done
"$NTPQ" snapshot --socket "$T/bad-client.ctl" > "$T/bad.json"
# Both servers' counters (received NTP datagrams), logged on SIGUSR1.
kill -USR1 \$GOOD_SERVER \$BAD_SERVER
sleep 0.3
INNER
rc=0; unshare -n -m sh "$T/inner.sh" || rc=$?
[ $rc = 0 ] || fail "namespace part failed (rc $rc)"
pass "hosts fixture in the namespace: $(cat "$T/getent.txt")"

grep -q "nts: key exchange with nts.test.internal: 8 cookies" "$T/good-client.log" ||
    fail "good client: no key exchange with nts.test.internal"
r=$(json_get "$T/good.json" "(lambda s: s['auth']['kind'] == 'nts' and s['auth']['nts']['ke_error'] is None and s['auth']['last_failure'] in ('none', 'nts-no-cookies'))(j['sources'][0])")
[ "$r" = True ] || fail "good client snapshot: $(cat "$T/good.json")"
pass "certificate for DNS:nts.test.internal: key exchange done, $(json_get "$T/good.json" "j['sources'][0]['auth']['authenticated']") authenticated samples ($(grep -o "key exchange with nts.test.internal: .*" "$T/good-client.log" | head -n 1))"

ke_error=$(json_get "$T/bad.json" "j['sources'][0]['auth']['nts']['ke_error']")
[ "$ke_error" = "certificate: hostname mismatch" ] || fail "bad client KE error: '$ke_error' ($(cat "$T/bad.json"))"
r=$(json_get "$T/bad.json" "(lambda s: s['auth']['authenticated'] == 0 and s['reach'] == 0)(j['sources'][0])")
[ "$r" = True ] || fail "bad client got replies: $(cat "$T/bad.json")"
bad_rx=$(grep 'server counters:' "$T/bad-server.log" | tail -n 1 | tr ' ' '\n' | sed -n 's/^received=//p')
good_rx=$(grep 'server counters:' "$T/good-server.log" | tail -n 1 | tr ' ' '\n' | sed -n 's/^received=//p')
[ "${good_rx:-0}" -ge 3 ] || fail "the good server's counters were not read (received=$good_rx)"
[ "$bad_rx" = 0 ] || fail "the server with the other name received $bad_rx NTP datagrams"
pass "certificate for DNS:other.test.internal: refused (ke_error \"$ke_error\"), that server received $bad_rx NTP datagrams (the good one $good_rx)"
