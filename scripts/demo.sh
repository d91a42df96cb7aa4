#!/bin/sh
# The first thing to run: builds ntp-lite, starts a throw-away NTP server on loopback, asks it
# the time with `ntpq-lite query`, and stops the server again. Idempotent; leaves nothing
# running and never touches the system clock (the server runs without CAP_SYS_TIME).
# Usage: scripts/demo.sh            (env: NTPLITE_BUILD_DIR, default "build")
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${NTPLITE_BUILD_DIR:-build}
PORT=11123
ADDR=127.0.0.1

./scripts/setup.sh "$BUILD_DIR"

WORK=$(mktemp -d /tmp/ntplite-demo.XXXXXX)
SERVER_PID=""
cleanup() {
    rc=$?
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        i=0; while kill -0 "$SERVER_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT INT TERM

# The demo server. Swapping in ntpd-lite's own server means replacing this one function (its
# config must keep [clock] mode = "observe" and the CAP_SYS_TIME drop).
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
    # -x: never adjust the clock; setpriv drops the capability as a second guard.
    setpriv --bounding-set=-sys_time chronyd -x -d -f "$WORK/chrony.conf" > "$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    echo "demo: started chronyd (pid $SERVER_PID) on $ADDR:$PORT, stratum 10, clock control off"
}

if ss -Hlun "src $ADDR:$PORT" | grep -q .; then
    echo "demo: udp $ADDR:$PORT is already in use; stop that first" >&2
    exit 1
fi
start_server
i=0
while ! ss -Hlun "src $ADDR:$PORT" | grep -q .; do
    i=$((i+1))
    if [ $i -ge 50 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "demo: the server did not start:" >&2; cat "$WORK/server.log" >&2; exit 1
    fi
    sleep 0.1
done

echo "demo: \$ ntpq-lite query $ADDR:$PORT"
"$BUILD_DIR/tools/ntpq-lite" query "$ADDR:$PORT"
echo
echo "demo: \$ ntpq-lite query $ADDR:$PORT --count 3 --interval 0.5"
"$BUILD_DIR/tools/ntpq-lite" query "$ADDR:$PORT" --count 3 --interval 0.5
