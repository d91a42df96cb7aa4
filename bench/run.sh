#!/bin/bash
# Server benchmark for ntp-lite (issue 3): ntpd-lite (1 worker thread, and default threads),
# Debian's chronyd and the raw C recvmmsg/sendmmsg responder, one after another on loopback, with
# the server pinned to CPU 0 and ntp-loadgen pinned to CPU 1. Runs are interleaved (round-robin
# over the servers) so background load on this shared machine hits every server alike; medians
# go to bench/RESULTS.md (between the bench:begin/end markers; text outside them is kept).
#
# The NTS variant (ntpd-lite vs chronyd as NTS servers) is bench/run_nts.sh, same method.
#
# Usage: bench/run.sh [BUILD_DIR]        (default: ./build)
# Environment (all optional):
#   BENCH_RUNS=5             measured runs per server
#   BENCH_SECONDS=10         sending phase per run (ntp-loadgen refuses more than 20)
#   BENCH_WARMUP=2           unmeasured warm-up run per server, seconds (0 = none)
#   BENCH_LOADGEN_ARGS=...   extra ntp-loadgen options (default: see LOADGEN_ARGS below)
#   BENCH_SERVERS="raw chronyd ntplite1 ntplite"   which servers, in this order
#   BENCH_AUTOGROUP_NICE=-19 scheduler autogroup nice of the benchmark's own session (0 = off)
#   BENCH_OUT=bench/RESULTS.md
#   BENCH_PROFILE=0          1: one extra perf (cpu-clock) profile run of ntpd-lite (1 thread)
#
# Safety: traffic stays on 127.0.0.1; chronyd runs with -x and every server runs under
# `setpriv --bounding-set=-sys_time`; ntpd-lite's config says mode = "observe". Only processes
# this script started are ended, by PID.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${BENCH_RUNS:-5}
DUR=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
SERVERS=${BENCH_SERVERS:-raw chronyd ntplite1 ntplite}
AG_NICE=${BENCH_AUTOGROUP_NICE:--19}
OUT=${BENCH_OUT:-$SRC/bench/RESULTS.md}
PROFILE=${BENCH_PROFILE:-0}
# Max rate with at most 128 requests in flight: the server's queue never runs dry, and the
# generator does not burn its core on requests the server's socket would drop. UDP GSO makes a
# request cheaper to send than a reply, so the generator keeps ahead of the server.
LOADGEN_ARGS=${BENCH_LOADGEN_ARGS:---gso --window 128 --sockets 64 --batch 32}
SERVER_CPU=0
GEN_CPU=1
DROP_TIME="setpriv --bounding-set=-sys_time"

LOADGEN=$BUILD/tools/ntp-loadgen
RAW=$BUILD/tools/raw-responder
NTPD=$BUILD/daemon/ntpd-lite

# Scheduler autogroups share CPU between sessions, whatever the nice value of a process. Run in
# a session of our own and give that session's group priority, so other users of this machine
# disturb the measurement less (and our priority ends with the run).
if [ -z "${BENCH_IN_SESSION:-}" ]; then
    export BENCH_IN_SESSION=1
    setsid -w "$0" "$@" &
    inner=$!
    trap 'kill -TERM "$inner" 2>/dev/null || true' INT TERM
    rc=0
    while :; do
        wait "$inner" && rc=0 || rc=$?
        kill -0 "$inner" 2>/dev/null || break
    done
    exit "$rc"
fi
if [ "$AG_NICE" != 0 ]; then
    echo "$AG_NICE" > /proc/self/autogroup 2>/dev/null || echo "bench: cannot set autogroup nice" >&2
fi

for b in "$LOADGEN" "$RAW"; do
    [ -x "$b" ] || { echo "bench: $b not built (cmake --build $BUILD --target ntp-loadgen raw-responder)" >&2; exit 1; }
done
[ "$DUR" -le 20 ] || { echo "bench: BENCH_SECONDS must be <= 20" >&2; exit 1; }

W=$(mktemp -d /tmp/ntplite-bench.XXXXXX)
PIDS=""
cleanup() {
    rc=$?
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do
        i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        kill -9 "$p" 2>/dev/null || true
    done
    if [ $rc -ne 0 ]; then echo "bench: failed (rc=$rc); work files kept in $W" >&2; else rm -rf "$W"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_udp_port() {  # PORT PID
    local i=0
    while ! ss -Hlun "sport = :$1" 2>/dev/null | grep -q .; do
        kill -0 "$2" 2>/dev/null || { echo "bench: server on port $1 exited; log:" >&2; cat "$W"/*.log >&2; exit 1; }
        i=$((i+1)); [ $i -lt 100 ] || { echo "bench: nothing listening on udp port $1" >&2; exit 1; }
        sleep 0.1
    done
}

# A stale server on a benchmark port would silently share it (SO_REUSEPORT) and skew the run.
port_free() {  # PORT
    if ss -Hlun "sport = :$1" 2>/dev/null | grep -q .; then
        echo "bench: udp port $1 is already in use:" >&2
        ss -Hlunp "sport = :$1" >&2
        exit 1
    fi
}

declare -A PID_OF PORT_OF LABEL_OF
start_server() {  # NAME
    local name=$1 port conf
    case $name in
    raw)
        port=12300
        port_free $port
        taskset -c $SERVER_CPU $DROP_TIME "$RAW" --addr 127.0.0.1 --port $port --seconds 1800 \
            > "$W/raw.log" 2>&1 &
        LABEL_OF[$name]="raw C responder (recvmmsg/sendmmsg)" ;;
    chronyd)
        port=12301
        port_free $port
        conf=$W/chrony.conf
        # No ratelimit directive: chronyd does not rate-limit NTP unless told to.
        cat > "$conf" <<CONF
port $port
bindaddress 127.0.0.1
local stratum 10
allow 127.0.0.1
cmdport 0
bindcmdaddress /
pidfile $W/chronyd.pid
CONF
        taskset -c $SERVER_CPU $DROP_TIME chronyd -x -d -f "$conf" > "$W/chronyd.log" 2>&1 &
        LABEL_OF[$name]="chronyd $(chronyd -v 2>/dev/null | awk '{print $4}') (-x)" ;;
    ntplite1 | ntplite)
        [ -x "$NTPD" ] || { echo "bench: $NTPD not built; skipping $name" >&2; return 1; }
        port=$([ $name = ntplite1 ] && echo 12302 || echo 12303)
        port_free $port
        conf=$W/$name.toml
        {
            printf '[log]\nlevel = "warn"\n\n[local]\nstratum = 5\n\n[[server]]\nlisten = "127.0.0.1:%s"\n' $port
            [ $name = ntplite1 ] && printf 'threads = 1\n'
            printf '\n[ratelimit]\nenabled = false\n\n[clock]\nmode = "observe"\n'
        } > "$conf"
        grep -q '^mode = "observe"$' "$conf" || { echo "bench: $conf must be observe mode" >&2; exit 1; }
        taskset -c $SERVER_CPU $DROP_TIME "$NTPD" --config "$conf" > "$W/$name.log" 2>&1 &
        if [ $name = ntplite1 ]; then LABEL_OF[$name]="ntpd-lite, threads = 1"
        else LABEL_OF[$name]="ntpd-lite, default threads"; fi ;;
    *) echo "bench: unknown server $name" >&2; exit 1 ;;
    esac
    PID_OF[$name]=$!
    PORT_OF[$name]=$port
    PIDS="$PIDS $!"
    wait_udp_port $port $!
}

# utime+stime of the whole process, clock ticks.
cpu_ticks() { sed 's/^.*) //' /proc/$1/stat | awk '{print $12 + $13}'; }
# Time the process's threads spent runnable but waiting for a CPU, ns (interference indicator).
wait_ns() { cat /proc/$1/task/*/schedstat 2>/dev/null | awk '{s += $2} END {printf "%.0f\n", s}'; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' /proc/$1/status; }

# measure NAME RUN SECONDS: one loadgen run; appends a line to $W/runs.tsv unless RUN is "warmup".
measure() {
    local name=$1 run=$2 secs=$3 pid=${PID_OF[$1]} port=${PORT_OF[$1]}
    local c0 c1 w0 w1 rss json=$W/$name-$run.json rc=0
    kill -0 "$pid" 2>/dev/null || { echo "bench: $name (pid $pid) is gone; log:" >&2; cat "$W/$name.log" >&2; exit 1; }
    c0=$(cpu_ticks $pid); w0=$(wait_ns $pid)
    # shellcheck disable=SC2086
    taskset -c $GEN_CPU "$LOADGEN" --target 127.0.0.1:$port --duration "$secs" --cpu $GEN_CPU \
        --json $LOADGEN_ARGS > "$json" & local lg=$!
    PIDS="$PIDS $lg"
    sleep "$(awk -v d="$secs" 'BEGIN {print d / 2}')"
    rss=$(status_kb $pid VmRSS)
    wait $lg || rc=$?
    PIDS=${PIDS% $lg}  # it has exited: never signal a PID that may be reused
    c1=$(cpu_ticks $pid); w1=$(wait_ns $pid)
    [ $rc -eq 0 ] || { echo "bench: ntp-loadgen against $name failed (rc=$rc)" >&2; cat "$json" >&2; exit 1; }
    [ "$run" = warmup ] && return 0
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "$((c1 - c0))" "$((w1 - w0))" \
        "$rss" "$(status_kb $pid VmHWM)" "$(status_kb $pid Threads)" "$(getconf CLK_TCK)" \
        "$(tr -d '\n' < "$json")" >> "$W/runs.tsv"
    python3 - "$json" "$name" "$run" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(f"  {sys.argv[2]:9} run {sys.argv[3]}: {j['responses_per_s']:>9.0f}/s  "
      f"loss {j['loss_pct']:.2f} %  p99 {j['latency_us']['p99']:.0f} us")
PY
}

started=""
for s in $SERVERS; do
    if start_server "$s"; then started="$started $s"; fi
done
[ -n "$started" ] || { echo "bench: no server started" >&2; exit 1; }
echo "bench: servers:$started; $RUNS runs x $DUR s each, loadgen: $LOADGEN_ARGS"
: > "$W/runs.tsv"
if [ "$WARMUP" != 0 ]; then for s in $started; do measure "$s" warmup "$WARMUP"; done; fi
for r in $(seq 1 "$RUNS"); do
    for s in $started; do measure "$s" "$r" "$DUR"; sleep 0.5; done
done

profile_txt=""
if [ "$PROFILE" = 1 ] && [[ " $started " == *" ntplite1 "* ]]; then
    pid=${PID_OF[ntplite1]}
    perf record -e cpu-clock -g -p "$pid" -o "$W/perf.data" -- sleep "$DUR" > "$W/perf.log" 2>&1 &
    perf_pid=$!
    PIDS="$PIDS $perf_pid"
    measure ntplite1 warmup "$DUR"
    wait $perf_pid || true
    PIDS=${PIDS% $perf_pid}
    profile_txt=$SRC/bench/profile-ntpd-lite.txt
    {
        echo "# perf record -e cpu-clock -g -p <ntpd-lite threads=1> during ntp-loadgen $LOADGEN_ARGS"
        echo "## by binary (kernel vs ntpd-lite vs libraries)"
        perf report -i "$W/perf.data" --no-children --stdio -g none --sort dso 2>/dev/null | grep '%' | awk 'NR <= 12'
        echo "## self time by symbol"
        perf report -i "$W/perf.data" --no-children --stdio -g none --sort dso,sym 2>/dev/null | grep '%' | awk 'NR <= 40'
        echo "## including callees"
        perf report -i "$W/perf.data" --children --stdio -g none --sort sym 2>/dev/null | grep '%' | awk 'NR <= 60'
    } > "$profile_txt"
    echo "bench: profile written to $profile_txt"
fi

python3 "$SRC/bench/summarize.py" "$W/runs.tsv" "$OUT" \
    --command "bench/run.sh $* (BENCH_RUNS=$RUNS BENCH_SECONDS=$DUR BENCH_LOADGEN_ARGS='$LOADGEN_ARGS')" \
    --revision "$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
        [ -z "$(git -C "$SRC" status --porcelain -- proto daemon config clock sysutil 2>/dev/null)" ] || echo ' + uncommitted changes')" \
    --labels "$(for s in $started; do printf '%s=%s;' "$s" "${LABEL_OF[$s]}"; done)"
echo "bench: wrote $OUT"
