#!/bin/sh
# Issue 4, pools at the daemon's edge on loopback: a pool name is resolved asynchronously
# ("localhost" -> 127.0.0.1), a member that never answers is dropped as unreachable and the pool
# resolved again (with nothing else to use, the same address is retried), and once a server
# appears there it is selected. A second pool whose name cannot be resolved is logged once and
# retried with backoff; the daemon never exits because of it.
# Names never reach the system resolver: the test re-runs itself in a private network and mount
# namespace (only loopback) whose /etc/hosts is a fixture (localhost only) and whose resolv.conf
# points at a loopback port where no DNS server listens, so "no-such-pool.invalid" fails locally.
if [ -z "${NTPLITE_POOL_NS:-}" ]; then
    fx=$(mktemp -d /tmp/ntplite-poolns.XXXXXX)
    printf '127.0.0.1 localhost\n' > "$fx/hosts"
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$fx/resolv.conf"
    rc=0
    NTPLITE_POOL_NS=1 unshare -n -m sh -c '
        set -e
        ip link set lo up
        mount --bind "$1/hosts" /etc/hosts
        mount --bind "$1/resolv.conf" /etc/resolv.conf
        exec sh "$2"' sh "$fx" "$0" || rc=$?
    rm -rf "$fx"
    exit $rc
fi
. "$NTPLITE_SRC/tests/system/lib.sh"

PORT=13136

start_ntpd_lite "
[[source]]
mode = \"pool\"
address = \"localhost:$PORT\"
max_sources = 2
minpoll = 0
maxpoll = 0

[[source]]
mode = \"pool\"
address = \"no-such-pool.invalid\"
minpoll = 0
maxpoll = 1

[clock]
mode = \"observe\"
" ntpd
LOG="$T/ntpd.log"

wait_log "pool localhost:$PORT: polling 127.0.0.1:$PORT" 10
wait_log "pool localhost:$PORT: 1 of 2 address(es) in use" 10
pass "pool resolved asynchronously: 1 of 2 wanted addresses"
wait_log "cannot resolve \"no-such-pool.invalid\"" 10
pass "unresolvable pool logged"

# Nobody answers on $PORT: after the core's unreachable limit (8 polls at 1 s) it is dropped.
wait_log "dropping 127.0.0.1:$PORT (unreachable)" 30
n=$(grep -c "pool localhost:$PORT: polling 127.0.0.1:$PORT" "$LOG")
wait_log_count() {
    i=0
    while [ "$(grep -c -- "$1" "$LOG")" -lt "$2" ]; do
        i=$((i+1)); [ $i -lt $(($3 * 10)) ] || fail "fewer than $2 lines matching '$1' within $3 s"
        sleep 0.1
    done
}
wait_log_count "pool localhost:$PORT: polling 127.0.0.1:$PORT" $((n + 1)) 10
pass "unreachable member dropped, pool resolved again, address retried"

start_chronyd_server $PORT 127.0.0.1 10
wait_log "source 127.0.0.1:$PORT: .* -> selected" 30
pass "the pool member is selected once a server answers"

kill -0 "$NTPD_PID" || fail "ntpd-lite exited"
[ "$(grep -c 'cannot resolve "no-such-pool.invalid"' "$LOG")" = 1 ] \
    || fail "the resolution failure was not logged exactly once"
pass "resolution failure logged once, daemon still running"
