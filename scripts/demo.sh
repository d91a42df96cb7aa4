#!/bin/sh
# The first thing to run: builds ntp-lite, starts a throw-away upstream NTP server (chronyd) and
# ntpd-lite on loopback, ntpd-lite syncs from it and serves downstream, then `ntpq-lite` queries
# it (query, peers, status), and everything is stopped again. Idempotent; leaves nothing running
# and never touches the system clock (observe mode, -x, and no CAP_SYS_TIME for any server).
# Usage: scripts/demo.sh            (env: NTPLITE_BUILD_DIR, default "build")
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${NTPLITE_BUILD_DIR:-build}
PORT=11123
ADDR=127.0.0.1

./scripts/setup.sh "$BUILD_DIR"

WORK=$(mktemp -d /tmp/ntplite-demo.XXXXXX)
SERVER_PID=""
NTPD_PID=""
cleanup() {
    rc=$?
    for pid in $NTPD_PID $SERVER_PID; do
        kill "$pid" 2>/dev/null || true
        i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT INT TERM

# The demo network, all on loopback: Debian's chronyd stands in for an upstream server
# (stratum 10 from its own clock), ntpd-lite takes time from it in observe mode and serves it
# downstream. Nothing can adjust the clock: chronyd runs with -x, ntpd-lite with
# [clock] mode = "observe", and both without CAP_SYS_TIME.
NTPD_PORT=11125
start_server() {
    cat > "$WORK/chrony.conf" <<CONF
port $PORT
bindaddress $ADDR
local stratum 10
allow $ADDR
cmdport 0
bindcmdaddress /
pidfile $WORK/chronyd.pid
driftfile $WORK/chronyd.drift
CONF
    setpriv --bounding-set=-sys_time chronyd -x -d -f "$WORK/chrony.conf" > "$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    echo "demo: started chronyd (pid $SERVER_PID) on $ADDR:$PORT, stratum 10, clock control off"
}
start_ntpd_lite() {
    cat > "$WORK/ntpd-lite.toml" <<CONF
[clock]
mode = "observe"            # measure and serve, never adjust this machine's clock

[[source]]
mode = "server"
address = "$ADDR:$PORT"
iburst = true
minpoll = 0
maxpoll = 2

[[server]]
listen = "$ADDR:$NTPD_PORT"
threads = 1

[control]
socket = "$WORK/control.sock"
CONF
    setpriv --bounding-set=-sys_time "$BUILD_DIR/daemon/ntpd-lite" --config "$WORK/ntpd-lite.toml" \
        > "$WORK/ntpd-lite.log" 2>&1 &
    NTPD_PID=$!
    echo "demo: started ntpd-lite (pid $NTPD_PID) on $ADDR:$NTPD_PORT, observe mode, syncing from $ADDR:$PORT"
}
wait_port() {  # wait_port PORT PID LOG
    i=0
    while ! ss -Hlun "src $ADDR:$1" | grep -q .; do
        i=$((i+1))
        if [ $i -ge 50 ] || ! kill -0 "$2" 2>/dev/null; then
            echo "demo: a server did not start:" >&2; cat "$3" >&2; exit 1
        fi
        sleep 0.1
    done
}

for p in $PORT $NTPD_PORT; do
    if ss -Hlun "src $ADDR:$p" | grep -q .; then
        echo "demo: udp $ADDR:$p is already in use; stop that first" >&2
        exit 1
    fi
done
start_server
wait_port "$PORT" "$SERVER_PID" "$WORK/server.log"
start_ntpd_lite
wait_port "$NTPD_PORT" "$NTPD_PID" "$WORK/ntpd-lite.log"

NTPQ="$BUILD_DIR/tools/ntpq-lite"
# Wait (at most 20 s) until ntpd-lite has selected its source.
i=0
until "$NTPQ" source --host $ADDR --port $NTPD_PORT >/dev/null 2>&1; do
    i=$((i+1)); [ $i -lt 40 ] || { echo "demo: ntpd-lite did not synchronize:" >&2; cat "$WORK/ntpd-lite.log" >&2; exit 1; }
    sleep 0.5
done

sleep 4  # a few more polls, so the peer table shows a filled reachability register
echo "demo: \$ ntpq-lite query $ADDR:$NTPD_PORT"
"$NTPQ" query "$ADDR:$NTPD_PORT"
echo
echo "demo: \$ ntpq-lite query $ADDR:$NTPD_PORT --count 3 --interval 0.5"
"$NTPQ" query "$ADDR:$NTPD_PORT" --count 3 --interval 0.5
echo
echo "demo: \$ ntpq-lite peers --port $NTPD_PORT"
"$NTPQ" peers --host $ADDR --port $NTPD_PORT
echo
echo "demo: \$ ntpq-lite status --port $NTPD_PORT"
"$NTPQ" status --host $ADDR --port $NTPD_PORT
