# Network-namespace lab for system tests (sourced by tests/system/test_netns_*.sh, POSIX sh).
#
# Topology: one hub namespace holding a bridge; every host is a namespace of its own whose eth0
# is a veth into that bridge, with an address in 10.99.0.0/24. The root namespace is not
# connected at all, so nothing a test sends can leave the machine, and parallel tests do not see
# each other (each has its own hub). Namespaces are named ${NETNS_PREFIX}NAME with the shell's
# PID in the prefix, so concurrent runs never collide.
#
# Every daemon runs under `setpriv --bounding-set=-sys_time` (all namespaces share one kernel
# clock), ntpd-lite always in observe mode, chronyd always with -x. On exit, failure or signal
# every process started here is ended by PID and every namespace (with its links) is deleted.
#
# Delay and loss come from tests/netns/udp_relay.py (tc netem is not available): a server
# listens on a side port of its own address and the relay, on port 123 of the same address,
# forwards to it with the added delay. Clients and refids then see the server's own address.

. "$NTPLITE_SRC/tests/system/lib.sh"

NETNS_PREFIX="ntpl$$-"
NETNS_HUB="${NETNS_PREFIX}hub"
NETNS_SUBNET="10.99.0"  # /24, private, exists only inside the hub's bridge
RELAY="$NTPLITE_SRC/tests/netns/udp_relay.py"
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
REFID_LOCL=2139029761   # the [local] fallback's refid above stratum 1: 127.127.1.1
_NETNS_LIST=""
_NETNS_IFCOUNT=0
_NETNS_DONE=0

# Tear down in the only safe order: processes first (by PID), then namespaces (which takes
# their veth ends with them). Idempotent: INT/TERM and EXIT may both call it.
_netns_teardown() {
    [ "$_NETNS_DONE" = 0 ] || return 0
    _NETNS_DONE=1
    for p in $_PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $_PIDS; do
        i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        kill -9 "$p" 2>/dev/null || true
    done
    for ns in $_NETNS_LIST; do
        # Anything still inside one of our own namespaces was started by this test (a child of
        # a process above): end it by PID before the namespace goes.
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    for ns in $_NETNS_LIST; do
        ip netns list 2>/dev/null | grep -q "^$ns\( \|$\)" && echo "WARNING: namespace $ns still exists" >&2
    done
    return 0
}
_netns_exit() {
    rc=$?
    set +e  # `(exit $rc)` below must hand rc to _cleanup, not end the shell under set -e
    trap - EXIT INT TERM
    _netns_teardown
    (exit $rc)
    _cleanup  # lib.sh: logs on failure, removes $T, exits with rc
}
trap _netns_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# now_s: wall-clock seconds (ns resolution); elapsed_since T: seconds since T (2 decimals).
now_s() { date +%s.%N; }
elapsed_since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }'; }

# netns_init: the hub namespace and its bridge. Fails the test when namespaces are unavailable.
netns_init() {
    [ "$(id -u)" = 0 ] || fail "network namespace tests need root"
    for tool in ip setpriv unshare ss chronyd chronyc getent; do
        command -v "$tool" > /dev/null || fail "$tool not found: run scripts/setup.sh"
    done
    [ -x "$NTPD" ] && [ -x "$NTPQ" ] || fail "ntpd-lite/ntpq-lite not built in $NTPLITE_BIN"
    _netns_sweep
    ip netns add "$NETNS_HUB" || fail "cannot create network namespace $NETNS_HUB"
    _NETNS_LIST="$_NETNS_LIST $NETNS_HUB"
    ip -n "$NETNS_HUB" link set lo up
    ip -n "$NETNS_HUB" link add br0 type bridge
    ip -n "$NETNS_HUB" link set br0 up
}

# _netns_sweep: remove namespaces an earlier run of these tests left behind because it was
# SIGKILLed (ctest timeout): only names of our own form ntpl<PID>- whose shell PID is gone.
_netns_sweep() {
    for ns in $(ip netns list 2>/dev/null | sed -n 's/^\(ntpl[0-9][0-9]*-[a-z0-9]*\).*/\1/p'); do
        owner=$(echo "$ns" | sed 's/^ntpl\([0-9]*\)-.*/\1/')
        kill -0 "$owner" 2>/dev/null && continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null && echo "removed stale namespace $ns (owner $owner gone)" >&2
    done
    return 0
}

# netns_ns NAME: the full namespace name of host NAME.
netns_ns() { echo "${NETNS_PREFIX}$1"; }

# netns_host NAME HOSTNUM: namespace NAME with eth0 = 10.99.0.HOSTNUM/24 on the hub bridge.
netns_host() {
    name=$1; ip4="$NETNS_SUBNET.$2"
    ns=$(netns_ns "$name")
    ip netns add "$ns" || fail "cannot create network namespace $ns"
    _NETNS_LIST="$_NETNS_LIST $ns"
    _NETNS_IFCOUNT=$((_NETNS_IFCOUNT + 1))
    hub_if="v$_NETNS_IFCOUNT"
    # Both ends are created directly inside the namespaces: nothing appears in the root one.
    ip -n "$NETNS_HUB" link add "$hub_if" type veth peer name eth0 netns "$ns"
    ip -n "$NETNS_HUB" link set "$hub_if" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$ip4/24" dev eth0
    ip -n "$ns" link set eth0 up
    eval "IP_$name=$ip4"
}

# netns_ip NAME: the address of host NAME.
netns_ip() { eval "echo \$IP_$1"; }

# in_ns NAME CMD...: run CMD in host NAME's namespace (foreground).
in_ns() { ns=$(netns_ns "$1"); shift; ip netns exec "$ns" "$@"; }

# ns_spawn NAME LOG CMD...: run CMD in NAME's namespace in the background with CAP_SYS_TIME
# dropped, output to $T/LOG.log; records the PID (ip netns exec and setpriv both exec, so $! is
# the daemon itself) in SPAWN_PID and in PID_<LOG>.
ns_spawn() {
    ns=$(netns_ns "$1"); log=$2; shift 2
    ip netns exec "$ns" $DROP_TIME "$@" > "$T/$log.log" 2>&1 &
    SPAWN_PID=$!
    _PIDS="$_PIDS $SPAWN_PID"
    eval "PID_$log=$SPAWN_PID"
}

# ns_stop PID: end one process we started, wait until it is gone, and forget its PID (so the
# final cleanup cannot hit an unrelated process that reused it).
ns_stop() {
    kill "$1" 2>/dev/null || true
    i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    _PIDS=$(echo " $_PIDS " | sed "s/ $1 / /")
}

# ns_wait_udp NAME ADDR PORT: until a UDP socket is bound there in NAME (max 5 s).
ns_wait_udp() {
    i=0
    while ! in_ns "$1" ss -Hlun "src $2:$3" 2>/dev/null | grep -q .; do
        i=$((i+1)); [ $i -lt 50 ] || fail "nothing listening on udp $2:$3 in $1"
        sleep 0.1
    done
}

# ns_ntpd NAME LOG BODY: ntpd-lite in NAME with config BODY ($T/LOG.toml), observe mode forced.
ns_ntpd() {
    conf="$T/$2.toml"
    printf '%s\n' "$3" > "$conf"
    grep -q '^\[clock\]' "$conf" || printf '\n[clock]\nmode = "observe"\n' >> "$conf"
    grep -q '^mode = "observe"' "$conf" || fail "ntpd-lite config $conf must be observe mode"
    ns_spawn "$1" "$2" "$NTPD" --config "$conf"
}

# ns_ntpd_hosts NAME LOG HOSTS_FILE BODY: ns_ntpd with HOSTS_FILE bind-mounted over /etc/hosts
# in a private mount namespace of the daemon alone (the test resolver for pool names).
ns_ntpd_hosts() {
    conf="$T/$2.toml"
    printf '%s\n' "$4" > "$conf"
    grep -q '^\[clock\]' "$conf" || printf '\n[clock]\nmode = "observe"\n' >> "$conf"
    grep -q '^mode = "observe"' "$conf" || fail "ntpd-lite config $conf must be observe mode"
    # unshare and sh both exec, so the recorded PID is ntpd-lite's.
    ns_spawn "$1" "$2" unshare -m --propagation private \
        sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$3" "$NTPD" --config "$conf"
}

# ns_counter LOG KEY: one server counter of the ntpd-lite started as LOG (SIGUSR1 summary).
ns_counter() {
    log="$T/$1.log"
    before=$(grep -c 'server counters:' "$log" || true)
    eval "kill -USR1 \$PID_$1"
    i=0
    while [ "$(grep -c 'server counters:' "$log" || true)" -le "$before" ]; do
        i=$((i+1)); [ $i -lt 50 ] || fail "ntpd-lite $1 did not dump its counters"
        sleep 0.1
    done
    grep 'server counters:' "$log" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ns_chronyd NAME LOG BODY: chronyd -x in NAME with BODY plus private pid/drift files; its
# command port (for chronyc) is 323 on the namespace's own loopback, no Unix socket.
ns_chronyd() {
    conf="$T/$2.conf"
    cat > "$conf" <<CONF
$3
cmdport 323
bindcmdaddress 127.0.0.1
bindcmdaddress /
cmdallow 127.0.0.1
pidfile $T/$2.pid
driftfile $T/$2.drift
CONF
    ns_spawn "$1" "$2" chronyd -x -d -f "$conf"
}

# ns_chronyc NAME ARGS...: chronyc (CSV output) against the chronyd in NAME.
ns_chronyc() { n=$1; shift; in_ns "$n" chronyc -h 127.0.0.1 -p 323 -c "$@"; }

# ns_relay NAME LOG LISTEN TARGET DELAY_MS [LOSS_PCT]: the delaying relay in NAME.
ns_relay() {
    ns_spawn "$1" "$2" "$PYTHON" -u "$RELAY" --listen "$3" --target "$4" --delay-ms "$5" \
        --loss-pct "${6:-0}" --lifetime-s 600
    ns_wait_udp "$1" "${3%:*}" "${3##*:}"
}

# ntpd-lite config pieces. src_table ADDR [MORE]: a [[source]] server polled every 1-2 s.
src_table() {
    printf '[[source]]\nmode = "server"\naddress = "%s"\niburst = true\nminpoll = 0\nmaxpoll = 1\n%s\n' \
        "$1" "${2:-}"
}
# srv_table LISTEN: a [[server]] table with one thread.
srv_table() { printf '[[server]]\nlisten = "%s"\nthreads = 1\n' "$1"; }

# ns_query NAME HOST[:PORT] OUT: one `ntpq-lite query --json` from NAME into $T/OUT.json;
# returns ntpq-lite's exit status. A lost request (exit 4: no answer within 2 s, which a busy
# 2-core machine can cause) is asked once more: "no answer" must not read as a verdict.
ns_query() {
    q=0; in_ns "$1" "$NTPQ" query "$2" --json --timeout 2 > "$T/$3.json" 2>/dev/null || q=$?
    [ "$q" = 4 ] || return "$q"
    in_ns "$1" "$NTPQ" query "$2" --json --timeout 2 > "$T/$3.json" 2>/dev/null
}

# ns_unsync NAME HOST[:PORT] [OUT]: true when HOST answers "unsynchronized" (ntpq-lite exit 6:
# LI 3 with stratum 16, or the stratum-0 refid 0/INIT form that RFC 5905 servers send).
ns_unsync() {
    out=${3:-probe}
    st=0; ns_query "$1" "$2" "$out" || st=$?
    [ "$st" = 6 ]
}

# sample FILE FIELD: a field of the first sample of a query's JSON ("" if absent).
sample() { json_get "$T/$1.json" "(j['samples'][0].get('$2', '') if j['samples'] else '')"; }

# ns_serving NAME HOST[:PORT] STRATUM [REFID]: true when HOST answers synchronized with that
# stratum (and refid, if given), as seen from NAME.
ns_serving() {
    ns_query "$1" "$2" probe || return 1
    [ "$(sample probe stratum)" = "$3" ] || return 1
    [ -z "${4:-}" ] || [ "$(sample probe refid)" = "$4" ]
}

# wait_for TIMEOUT_S WHAT CMD...: retry CMD every 0.5 s until it succeeds; prints and sets
# WAITED_S (seconds taken); fails the test with WHAT after TIMEOUT_S.
wait_for() {
    limit=$1; what=$2; shift 2
    w0=$(now_s)
    while ! "$@"; do
        [ "$(awk -v a="$w0" -v b="$(now_s)" -v l="$limit" 'BEGIN { print (b - a > l) }')" = 0 ] ||
            fail "not within $limit s: $what"
        sleep 0.5
    done
    WAITED_S=$(elapsed_since "$w0")
}

# measured LABEL SECONDS: one convergence figure, in a fixed greppable form.
measured() { echo "MEASURED $(basename "$0" .sh): $1 = $2 s"; }
