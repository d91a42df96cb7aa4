#!/bin/sh
# ntpq-lite query failure paths on loopback: nothing listening, a silent listener, an
# unresolvable name, bad usage. Each must fail with its documented exit status and one line on
# stderr, within --timeout.
. "$NTPLITE_SRC/tests/system/lib.sh"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# expect_exit CODE MAX_MS NAME ARGS...: runs ntpq-lite, checks the status, the time taken and a
# single-line error message on stderr.
expect_exit() {
    want=$1; max_ms=$2; name=$3; shift 3
    t0=$(now_ms)
    rc=0; "$NTPQ" "$@" > "$T/$name.out" 2> "$T/$name.err" || rc=$?
    took=$(( $(now_ms) - t0 ))
    [ "$rc" = "$want" ] || fail "$name: exit status $rc, expected $want ($(cat "$T/$name.err"))"
    [ "$took" -le "$max_ms" ] || fail "$name: took $took ms, more than $max_ms ms"
    [ "$(wc -l < "$T/$name.err")" = 1 ] || fail "$name: stderr is not one line: $(cat "$T/$name.err")"
    echo "   $name: exit $rc after $took ms: $(cat "$T/$name.err")"
}

# Nothing listens on 11124: loopback answers with ICMP port unreachable at once.
ss -Hlun 'src 127.0.0.1:11124' | grep -q . && fail "something already listens on 127.0.0.1:11124"
expect_exit 4 1500 closed query 127.0.0.1:11124 --timeout 1
grep -q 'port unreachable' "$T/closed.err" || fail "closed: message does not say why"
pass "closed port: exit 4"

# The same in JSON: the document still comes, with the error.
expect_exit 4 1500 closed_json query 127.0.0.1:11124 --timeout 1 --json
[ "$(json_get "$T/closed_json.out" 'j["exit_code"]')" = 4 ] || fail "json exit_code"
[ "$(json_get "$T/closed_json.out" 'j["error"]["code"]')" = no_answer ] || fail "json error code"
[ "$(json_get "$T/closed_json.out" 'j["samples"][0]["ok"]')" = False ] || fail "json sample ok"
pass "closed port, --json: exit 4 and an error document"

# A listener that never answers: the whole --timeout passes, then exit 4.
python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 11124))
while True:
    s.recvfrom(2048)
' > "$T/silent.log" 2>&1 &
_PIDS="$_PIDS $!"
wait_udp_port 127.0.0.1 11124
t0=$(now_ms)
expect_exit 4 1500 silent query 127.0.0.1:11124 --timeout 0.5
took=$(( $(now_ms) - t0 ))
[ "$took" -ge 450 ] || fail "silent: gave up after $took ms, before the 0.5 s timeout"
grep -q 'no answer' "$T/silent.err" || fail "silent: message"
pass "silent server: exit 4 after the timeout ($took ms)"

# --count 2 against the silent listener: two failure lines, still exit 4.
expect_exit 4 3000 silent_count query 127.0.0.1:11124 --timeout 0.3 --count 2 --interval 0.1
[ "$(grep -c 'error: no answer' "$T/silent_count.out")" = 2 ] || fail "silent_count: lines"
grep -q '2 requests, 0 valid, 2 failed' "$T/silent_count.out" || fail "silent_count: summary"
pass "silent server, --count 2: 2 error lines, exit 4"

# A name under the reserved .invalid TLD (RFC 6761) never resolves. Without network the resolver
# may fail at once or hang; --timeout bounds the wait either way, and the status is 3.
expect_exit 3 3000 unresolvable query ntplite-test.invalid --timeout 2
grep -q 'ntplite-test.invalid' "$T/unresolvable.err" || fail "unresolvable: message names the host"
pass "unresolvable name: exit 3"

# Usage errors: status 2.
expect_exit 2 1000 no_server query
expect_exit 2 1000 bad_port query 127.0.0.1:99999
expect_exit 2 1000 bad_count query 127.0.0.1 --count 0
expect_exit 2 1000 bad_v6 query '[::1:11124'
pass "usage errors: exit 2"

# --help documents every exit status.
"$NTPQ" query --help > "$T/help.txt" || fail "--help exited $?"
for c in 0 1 2 3 4 5 6 7; do grep -q "^  $c  " "$T/help.txt" || fail "--help lacks exit status $c"; done
pass "--help documents exit statuses 0..7"
