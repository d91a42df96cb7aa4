# Shared helpers for system tests (sourced, not run). Every process a test starts is recorded and
# ended by PID on exit; nothing here can touch the machine's clock:
#  - chronyd runs with -x (no clock control) under `setpriv --bounding-set=-sys_time`;
#  - ntpd-lite always gets mode = "observe" in its config *and* runs with CAP_SYS_TIME dropped.
# Traffic stays on loopback (or in namespaces a test creates and removes).

set -eu
: "${NTPLITE_BIN:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
: "${NTPLITE_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
# Files a test keeps for people to look at (the status page screenshot): scripts/test.sh points
# this at the top-level artifacts/ directory that CI collects; by hand it is the build tree's.
: "${NTPLITE_ARTIFACTS:=$NTPLITE_BIN/artifacts}"
NTPQ="$NTPLITE_BIN/tools/ntpq-lite"
NTPD="$NTPLITE_BIN/daemon/ntpd-lite"
DROP_TIME="setpriv --bounding-set=-sys_time"

T=$(mktemp -d /tmp/ntplite-test.XXXXXX)
_PIDS=""
_cleanup() {
    rc=$?
    for p in $_PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $_PIDS; do
        i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        kill -9 "$p" 2>/dev/null || true
    done
    if [ $rc -ne 0 ]; then
        echo "--- test failed (rc=$rc); logs in $T:" >&2
        for f in "$T"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 30 "$f" >&2; }; done
    else
        rm -rf "$T"
    fi
    exit $rc
}
trap _cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# start_chronyd_server PORT [ADDR] [STRATUM]: chronyd serving its own clock, never adjusting it.
start_chronyd_server() {
    port=$1; addr=${2:-127.0.0.1}; stratum=${3:-10}
    conf="$T/chrony-$addr-$port.conf"
    cat > "$conf" <<CONF
port $port
bindaddress $addr
local stratum $stratum
allow 127.0.0.0/8
cmdport 0
bindcmdaddress /
pidfile $T/chronyd-$addr-$port.pid
driftfile $T/chronyd-$addr-$port.drift
CONF
    $DROP_TIME chronyd -x -d -f "$conf" > "$T/chronyd-$addr-$port.log" 2>&1 &
    _PIDS="$_PIDS $!"
    wait_udp_port "$addr" "$port"
}

# start_ntpd_lite CONFIG_BODY NAME: writes $T/NAME.toml with the body plus a forced observe mode,
# starts ntpd-lite with CAP_SYS_TIME dropped; sets NTPD_PID.
start_ntpd_lite() {
    body=$1; name=${2:-ntpd}
    conf="$T/$name.toml"
    printf '%s\n' "$body" > "$conf"
    grep -q '^\[clock\]' "$conf" || printf '\n[clock]\nmode = "observe"\n' >> "$conf"
    grep -q 'mode = "observe"' "$conf" || fail "ntpd-lite config $conf must be observe mode"
    $DROP_TIME "$NTPD" --config "$conf" > "$T/$name.log" 2>&1 &
    NTPD_PID=$!
    _PIDS="$_PIDS $NTPD_PID"
}

# wait_udp_port ADDR PORT: until a UDP socket is bound there (max 5 s).
wait_udp_port() {
    i=0
    while ! ss -Hlun "src $1:$2" 2>/dev/null | grep -q .; do
        i=$((i+1)); [ $i -lt 50 ] || fail "nothing listening on udp $1:$2"
        sleep 0.1
    done
}

# json_get FILE EXPR: evaluate a Python expression over the parsed JSON `j`.
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# ntpd_counter KEY [NAME]: one server counter (e.g. "denied") of the running ntpd-lite NAME,
# read from the summary it logs on SIGUSR1 ("server counters: received=N answered=N ...").
ntpd_counter() {
    key=$1; log="$T/${2:-ntpd}.log"
    before=$(grep -c 'server counters:' "$log" || true)
    kill -USR1 "$NTPD_PID"
    i=0
    while [ "$(grep -c 'server counters:' "$log" || true)" -le "$before" ]; do
        i=$((i+1)); [ $i -lt 50 ] || fail "ntpd-lite did not dump its counters"
        sleep 0.1
    done
    grep 'server counters:' "$log" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$key=//p"
}

# wait_log PATTERN SECONDS: until $LOG (an ntpd-lite log) has a line matching PATTERN; fails if
# the daemon ($NTPD_PID) exits first or the time runs out.
wait_log() {
    i=0
    while ! grep -q -- "$1" "$LOG"; do
        i=$((i+1)); [ $i -lt $(($2 * 10)) ] || fail "no log line matching '$1' within $2 s"
        kill -0 "$NTPD_PID" 2>/dev/null || fail "ntpd-lite exited"
        sleep 0.1
    done
}
