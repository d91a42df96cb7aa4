#!/bin/bash
# NTS server benchmark for ntp-lite (issue 15): ntpd-lite (threads = 1, and default threads) and
# Debian's chronyd 4.3 as NTS servers, loaded by ntp-loadgen in NTS mode (one NTS-KE exchange,
# then authenticated requests, every reply's unique id and authenticator checked) and, for
# reference, with plain NTP requests on the same servers. Same method as bench/run.sh: servers
# pinned to CPU 0, ntp-loadgen pinned to CPU 1, interleaved runs, medians, server CPU per response
# from /proc/PID/stat, RSS mid-run. The figures go to bench/RESULTS.md between the
# nts-bench:begin/end markers (text outside them is kept).
#
# Usage: bench/run_nts.sh [BUILD_DIR]        (default: ./build)
# Environment (all optional):
#   BENCH_RUNS=5             measured runs per server and mode
#   BENCH_SECONDS=8          sending phase per run (ntp-loadgen refuses more than 20)
#   BENCH_WARMUP=2           unmeasured warm-up run per server and mode, seconds (0 = none)
#   BENCH_LOADGEN_ARGS=...   ntp-loadgen options for both modes (default below)
#   BENCH_NTS_ARGS=...       extra ntp-loadgen options in NTS mode (default below)
#   BENCH_SERVERS="chronyd ntplite1 ntplite"   which servers, in this order
#   BENCH_MODES="nts plain"  which request kinds
#   BENCH_AUTOGROUP_NICE=-19 scheduler autogroup nice of the benchmark's own session (0 = off)
#   BENCH_OUT=bench/RESULTS.md
#
# Safety: traffic stays on 127.0.0.1; chronyd runs with -x, every server under
# `setpriv --bounding-set=-sys_time --inh-caps=-sys_time`; ntpd-lite's config says
# mode = "observe". The test CA and certificate are made here (openssl req) in a temporary
# directory that is removed at the end. Only processes this script started are ended, by PID.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${BENCH_RUNS:-5}
DUR=${BENCH_SECONDS:-8}
WARMUP=${BENCH_WARMUP:-2}
SERVERS=${BENCH_SERVERS:-chronyd ntplite1 ntplite}
MODES=${BENCH_MODES:-nts plain}
AG_NICE=${BENCH_AUTOGROUP_NICE:--19}
OUT=${BENCH_OUT:-$SRC/bench/RESULTS.md}
# As bench/run.sh: max rate with at most 128 requests in flight, UDP GSO on the generator.
LOADGEN_ARGS=${BENCH_LOADGEN_ARGS:---gso --window 128 --sockets 64 --batch 32}
# No placeholders (chronyd's steady state: one cookie used, one returned); every reply's
# authenticator verified.
NTS_ARGS=${BENCH_NTS_ARGS:---nts-placeholders 0 --nts-verify-every 1}
SERVER_CPU=0
GEN_CPU=1
DROP_TIME="setpriv --bounding-set=-sys_time --inh-caps=-sys_time"

LOADGEN=$BUILD/tools/ntp-loadgen
NTPD=$BUILD/daemon/ntpd-lite

# Own session with a raised autogroup priority (see bench/run.sh).
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

[ -x "$LOADGEN" ] || { echo "bench: $LOADGEN not built (cmake --build $BUILD --target ntp-loadgen)" >&2; exit 1; }
[ "$DUR" -le 20 ] || { echo "bench: BENCH_SECONDS must be <= 20" >&2; exit 1; }

W=$(mktemp -d /tmp/ntplite-ntsbench.XXXXXX)
PIDS=""
cleanup() {
    rc=$?
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do
        i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        kill -9 "$p" 2>/dev/null || true
    done
    if [ $rc -ne 0 ]; then
        echo "bench: failed (rc=$rc); logs:" >&2
        tail -n 20 "$W"/*.log >&2 2>/dev/null || true
    fi
    rm -rf "$W"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Test PKI: a CA and a server certificate for IP 127.0.0.1 (never resolved, only checked).
(
    cd "$W"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
        -subj "/CN=ntp-lite bench CA" -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
        -extfile server.ext -out server.pem 2>/dev/null
    chmod 644 server.key
) || { echo "bench: could not make the test certificate" >&2; exit 1; }

wait_port() {  # PROTO(u|t) PORT PID
    local i=0
    while ! ss -Hl"$1"n "sport = :$2" 2>/dev/null | grep -q .; do
        kill -0 "$3" 2>/dev/null || { echo "bench: server on port $2 exited" >&2; exit 1; }
        i=$((i+1)); [ $i -lt 100 ] || { echo "bench: nothing listening on port $2" >&2; exit 1; }
        sleep 0.1
    done
}
port_free() {  # PORT...: a stale server would share the port (SO_REUSEPORT) and skew the run
    for p in "$@"; do
        if ss -Hlun "sport = :$p" 2>/dev/null | grep -q . || ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
            echo "bench: port $p is already in use" >&2; exit 1
        fi
    done
}

declare -A PID_OF PORT_OF KE_OF LABEL_OF
start_server() {  # NAME
    local name=$1 port ke conf
    case $name in
    chronyd)
        port=12310; ke=12460
        port_free $port $ke
        conf=$W/chrony.conf
        mkdir -p "$W/chrony-dump"
        # No ratelimit/ntsratelimit directives: chronyd rate-limits neither unless told to.
        cat > "$conf" <<CONF
port $port
bindaddress 127.0.0.1
local stratum 10
allow 127.0.0.1
ntsservercert $W/server.pem
ntsserverkey $W/server.key
ntsport $ke
ntsdumpdir $W/chrony-dump
ntsprocesses 0
cmdport 0
bindcmdaddress /
pidfile $W/chronyd.pid
CONF
        # -u root: Debian's chronyd cannot otherwise read the 0700 temp dir; sys_time is dropped.
        taskset -c $SERVER_CPU $DROP_TIME chronyd -u root -x -d -f "$conf" > "$W/chronyd.log" 2>&1 &
        LABEL_OF[$name]="chronyd $(chronyd -v 2>/dev/null | awk '{print $4}') (-x)" ;;
    ntplite1 | ntplite)
        [ -x "$NTPD" ] || { echo "bench: $NTPD not built; skipping $name" >&2; return 1; }
        if [ $name = ntplite1 ]; then port=12311; ke=12461; else port=12312; ke=12462; fi
        port_free $port $ke
        conf=$W/$name.toml
        {
            printf '[log]\nlevel = "warn"\n\n[local]\nstratum = 5\n\n[[server]]\nlisten = "127.0.0.1:%s"\n' $port
            [ $name = ntplite1 ] && printf 'threads = 1\n'
            printf '\n[ratelimit]\nenabled = false\n\n'
            printf '[nts]\ncertificate = "%s"\nprivate_key = "%s"\nke_listen = ["127.0.0.1:%s"]\nkey_file = "%s"\n\n' \
                "$W/server.pem" "$W/server.key" $ke "$W/$name-keys"
            printf '[clock]\nmode = "observe"\n'
        } > "$conf"
        grep -q '^mode = "observe"$' "$conf" || { echo "bench: $conf must be observe mode" >&2; exit 1; }
        taskset -c $SERVER_CPU $DROP_TIME "$NTPD" --config "$conf" > "$W/$name.log" 2>&1 &
        if [ $name = ntplite1 ]; then LABEL_OF[$name]="ntpd-lite, threads = 1"
        else LABEL_OF[$name]="ntpd-lite, default threads"; fi ;;
    *) echo "bench: unknown server $name" >&2; exit 1 ;;
    esac
    PID_OF[$name]=$!
    PORT_OF[$name]=$port
    KE_OF[$name]=$ke
    PIDS="$PIDS $!"
    wait_port u $port $!
    wait_port t $ke $!
}

cpu_ticks() { sed 's/^.*) //' /proc/$1/stat | awk '{print $12 + $13}'; }
wait_ns() { cat /proc/$1/task/*/schedstat 2>/dev/null | awk '{s += $2} END {printf "%.0f\n", s}'; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' /proc/$1/status; }

# measure NAME MODE RUN SECONDS: one loadgen run; appends to $W/runs.tsv unless RUN is "warmup".
# In NTS mode the one NTS-KE exchange of the run falls inside the server's CPU window (about a
# millisecond of a multi-second run).
measure() {
    local name=$1 mode=$2 run=$3 secs=$4 pid=${PID_OF[$1]}
    local c0 c1 w0 w1 rss json=$W/$name-$mode-$run.json rc=0 target
    kill -0 "$pid" 2>/dev/null || { echo "bench: $name (pid $pid) is gone" >&2; exit 1; }
    if [ "$mode" = nts ]; then
        # The NTP server and port come from the NTS-KE negotiation (checked below).
        target="--nts-ke 127.0.0.1:${KE_OF[$name]} --nts-ca $W/ca.pem $NTS_ARGS"
    else
        target="--target 127.0.0.1:${PORT_OF[$name]}"
    fi
    c0=$(cpu_ticks $pid); w0=$(wait_ns $pid)
    # shellcheck disable=SC2086
    taskset -c $GEN_CPU "$LOADGEN" $target --duration "$secs" --cpu $GEN_CPU --json \
        $LOADGEN_ARGS > "$json" 2> "$W/loadgen.log" & local lg=$!
    PIDS="$PIDS $lg"
    sleep "$(awk -v d="$secs" 'BEGIN {print d / 2}')"
    rss=$(status_kb $pid VmRSS)
    wait $lg || rc=$?
    PIDS=${PIDS% $lg}
    c1=$(cpu_ticks $pid); w1=$(wait_ns $pid)
    [ $rc -eq 0 ] || { echo "bench: ntp-loadgen ($mode) against $name failed (rc=$rc)" >&2; cat "$W/loadgen.log" "$json" >&2; exit 1; }
    grep -q "\"target\":\"127.0.0.1:${PORT_OF[$name]}\"" "$json" ||
        { echo "bench: $name: load went to another port than its NTP port" >&2; cat "$json" >&2; exit 1; }
    [ "$run" = warmup ] && return 0
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name/$mode" "$run" "$((c1 - c0))" "$((w1 - w0))" \
        "$rss" "$(status_kb $pid VmHWM)" "$(status_kb $pid Threads)" "$(getconf CLK_TCK)" \
        "$(tr -d '\n' < "$json")" >> "$W/runs.tsv"
    python3 - "$json" "$name/$mode" "$run" "$((c1 - c0))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
cpu_us = int(sys.argv[4]) / int(sys.argv[5]) * 1e6 / max(j['valid'], 1)
print(f"  {sys.argv[2]:14} run {sys.argv[3]}: {j['responses_per_s']:>9.0f}/s  {cpu_us:5.2f} us/resp  "
      f"NAK {j['nts_naks']}  invalid {j['invalid']}  p99 {j['latency_us']['p99']:.0f} us  "
      f"gen idle {j['generator_idle_pct']:.0f} %")
PY
}

started=""
for s in $SERVERS; do
    if start_server "$s"; then started="$started $s"; fi
done
[ -n "$started" ] || { echo "bench: no server started" >&2; exit 1; }
echo "bench: servers:$started; modes: $MODES; $RUNS runs x $DUR s each; loadgen: $LOADGEN_ARGS (NTS: $NTS_ARGS)"
: > "$W/runs.tsv"
if [ "$WARMUP" != 0 ]; then
    for s in $started; do for m in $MODES; do measure "$s" "$m" warmup "$WARMUP"; done; done
fi
for r in $(seq 1 "$RUNS"); do
    for s in $started; do for m in $MODES; do measure "$s" "$m" "$r" "$DUR"; sleep 0.5; done; done
done

python3 "$SRC/bench/summarize_nts.py" "$W/runs.tsv" "$OUT" \
    --command "bench/run_nts.sh $* (BENCH_RUNS=$RUNS BENCH_SECONDS=$DUR BENCH_LOADGEN_ARGS='$LOADGEN_ARGS' BENCH_NTS_ARGS='$NTS_ARGS')" \
    --revision "$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
        [ -z "$(git -C "$SRC" status --porcelain -- proto daemon config clock sysutil tools ':!*.md' 2>/dev/null)" ] || echo ' + uncommitted changes')" \
    --labels "$(for s in $started; do printf '%s=%s;' "$s" "${LABEL_OF[$s]}"; done)"
echo "bench: wrote $OUT"
