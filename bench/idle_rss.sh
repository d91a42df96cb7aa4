#!/bin/sh
# Idle resident memory of ntpd-lite: one server socket, one loopback source that never answers,
# observe mode, CAP_SYS_TIME dropped. Starts the daemon RUNS times, reads VmRSS (and the shared
# libraries it mapped) after SETTLE seconds, prints one line per run and the median.
# Usage: bench/idle_rss.sh [BUILD_DIR] [RUNS] [SETTLE_S]
set -eu
BIN=${1:-build}/daemon/ntpd-lite
RUNS=${2:-5}
SETTLE=${3:-3}
W=$(mktemp -d /tmp/ntplite-idle-rss.XXXXXX)
trap 'rm -rf "$W"' EXIT
cat > "$W/ntpd.toml" <<CONF
[[server]]
listen = "127.0.0.1:14961"
threads = 1

[[source]]
address = "127.0.0.1:14962"

[clock]
mode = "observe"
CONF
vals=""
i=0
while [ $i -lt "$RUNS" ]; do
    i=$((i + 1))
    setpriv --bounding-set=-sys_time --inh-caps=-sys_time "$BIN" --config "$W/ntpd.toml" \
        > "$W/log" 2>&1 &
    pid=$!
    sleep "$SETTLE"
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    libs=$(awk '$6 ~ /\.so/ {print $6}' "/proc/$pid/maps" | sort -u | xargs -n1 basename | tr '\n' ' ')
    kill "$pid"; wait "$pid" || true
    echo "run $i: VmRSS $rss KiB; libraries: $libs"
    vals="$vals $rss"
done
echo "$vals" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "median VmRSS %d KiB (%.2f MiB) over %d runs\n", m, m/1024, NR}'
