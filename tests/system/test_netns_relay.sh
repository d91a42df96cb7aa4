#!/bin/sh
# The namespace harness and its UDP relay (tests/netns/): a relay with 20 ms each way adds at
# least 40 ms to every round trip; one with 100 % loss lets nothing through, one with 30 % some
# but not all. The harness gives each host its own address on a bridge that lives in the hub
# namespace (no test address in the root namespace).
. "$NTPLITE_SRC/tests/netns/netns.sh"

netns_init
netns_host s 1
netns_host c 100
[ "$(ip -n "$NETNS_HUB" -o link show master br0 | wc -l)" = 2 ] || fail "hub bridge does not hold 2 ports"
in_ns c ip -4 -o addr show dev eth0 | grep -q "$IP_c/24" || fail "c has no address $IP_c"
ip -4 -o addr | grep -q "$NETNS_SUBNET\." && fail "a test address appears in the root namespace"

ns_ntpd s s "[local]
stratum = 3
$(srv_table "$IP_s:1123")"
ns_wait_udp s "$IP_s" 1123
ns_relay s slow "$IP_s:123" "$IP_s:1123" 20
ns_relay s lossy "$IP_s:124" "$IP_s:1123" 0 100
ns_spawn s partial "$PYTHON" -u "$RELAY" --listen "$IP_s:125" --target "$IP_s:1123" --loss-pct 30 \
    --seed 1 --lifetime-s 60
ns_wait_udp s "$IP_s" 125

in_ns c "$NTPQ" query "$IP_s:1123" --count 3 --interval 0.2 --json > "$T/direct.json" ||
    fail "no direct answer"
in_ns c "$NTPQ" query "$IP_s:123" --count 3 --interval 0.2 --json > "$T/slow.json" ||
    fail "no answer through the relay"
direct=$(json_get "$T/direct.json" "j['summary']['delay_ns']['min']")
slow=$(json_get "$T/slow.json" "j['summary']['delay_ns']['min']")
[ "$slow" -ge 40000000 ] || fail "relayed delay $slow ns < 2 x 20 ms"
[ "$slow" -gt "$direct" ] || fail "relayed delay $slow ns not above direct $direct ns"
pass "delay: direct min $direct ns, through the 20 ms relay min $slow ns"

st=0; in_ns c "$NTPQ" query "$IP_s:124" --timeout 2 --json > "$T/lossy.json" || st=$?
[ "$st" = 4 ] || fail "an answer came through 100 % loss (exit $st)"
pass "100 % loss: no answer (ntpq-lite exit $st)"

# 30 % loss each way: some of 12 exchanges get through, some do not.
in_ns c "$NTPQ" query "$IP_s:125" --count 12 --interval 0.1 --timeout 0.5 --json > "$T/partial.json" || true
valid=$(json_get "$T/partial.json" "j['summary']['valid']")
failed=$(json_get "$T/partial.json" "j['summary']['failed']")
[ "$valid" -gt 0 ] && [ "$failed" -gt 0 ] || fail "30 % loss: $valid valid, $failed failed of 12"
pass "30 % loss: $valid of 12 exchanges answered"
