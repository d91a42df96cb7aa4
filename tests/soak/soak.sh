#!/bin/sh
# Soak (issue 14): 60 s of mixed hostile load against an ASan+UBSan ntpd-lite whose fd limit is
# 1,024, in a network namespace of its own (only loopback exists there):
#   - NTP at ntp-loadgen's maximum rate (open loop) from 100,000 source addresses 127.1.0.0+i
#     (IP_PKTINFO; replies come back to the generator's wildcard sockets);
#   - mode 6 READVAR at 300/s from an allowed and 300/s from a denied address;
#   - 1,000 idle HTTP connections to the metrics listener, re-opened as the daemon closes them;
#   - control-socket resync and snapshot loops.
# Asserted during the load: a legitimate SNTP client (ntpq-lite query from 127.0.0.1) gets
# answers, a metrics scrape and a snapshot succeed. Asserted over the run: RSS and fd count flat
# after warm-up (tolerances below), no sanitizer report, SIGTERM exits 0 (LeakSanitizer
# included). The daemon runs in observe mode with CAP_SYS_TIME dropped. Prints the figures.
# Needs the ASan+UBSan build: registered (label `soak`) only when NTPLITE_SANITIZE is on;
# scripts/test.sh runs it once after the ASan unit tests.
set -eu
if [ "${SOAK_IN_NETNS:-}" != 1 ]; then
    SOAK_IN_NETNS=1 exec unshare -n "$0" "$@"
fi
ip link set lo up
. "$NTPLITE_SRC/tests/system/lib.sh"
LOAD="python3 $NTPLITE_SRC/tests/soak/soak_load.py"
LOADGEN="$NTPLITE_BIN/tools/ntp-loadgen"
SOAK_S=${SOAK_SECONDS:-60}
[ "$SOAK_S" -ge 30 ] && [ "$SOAK_S" -le 120 ] || fail "SOAK_SECONDS must be 30..120"
WARMUP_S=15

ADDR=127.0.0.1; PORT=12600; HTTP=12680; UP=127.0.0.3; UP_PORT=12601
MODE6_OK=127.0.0.4; MODE6_DENIED=127.0.0.5
SOCK="$T/ctl.sock"

start_chronyd_server $UP_PORT $UP 10
cat > "$T/soak.toml" <<CONF
[daemon]
pidfile = "$T/ntpd.pid"

[log]
level = "info"

[clock]
mode = "observe"

[[source]]
mode = "server"
address = "$UP:$UP_PORT"
iburst = true
minpoll = 0
maxpoll = 2

[[server]]
listen = "$ADDR:$PORT"

[ratelimit]
interval_log2 = 1

[control]
socket = "$SOCK"
allow = ["$ADDR/32", "$MODE6_OK/32"]

[metrics]
listen = "$ADDR:$HTTP"
CONF
# Sanitizer reports go to files (none may exist at the end); leaks are checked at exit.
export ASAN_OPTIONS="detect_leaks=1:log_path=$T/asan:quarantine_size_mb=16"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$T/ubsan"
sh -c 'ulimit -n 1024 && exec "$@"' soak setpriv --bounding-set=-sys_time --inh-caps=-sys_time \
    "$NTPD" --config "$T/soak.toml" > "$T/ntpd.log" 2>&1 &
NTPD_PID=$!
_PIDS="$_PIDS $NTPD_PID"
LOG="$T/ntpd.log"
wait_log "status page on" 20
wait_log "source $UP:$UP_PORT: .* -> selected" 30
[ "$(sed -n 's/^Max open files *\([0-9]*\).*/\1/p' /proc/$NTPD_PID/limits)" = 1024 ] ||
    fail "fd limit of the daemon is not 1024"
python3 -c 'import sys; sys.exit(int(sys.argv[1], 16) >> 25 & 1)' \
    "$(sed -n 's/^CapBnd:\s*//p' /proc/$NTPD_PID/status)" || fail "CAP_SYS_TIME not dropped"
unset ASAN_OPTIONS UBSAN_OPTIONS

rss_kib() { sed -n 's/^VmRSS:\s*\([0-9]*\) kB/\1/p' /proc/$NTPD_PID/status; }
fds() { ls /proc/$NTPD_PID/fd | wc -l; }
cpu_ticks() { awk '{print $14 + $15}' /proc/$NTPD_PID/stat; }
HZ=$(getconf CLK_TCK)
FDS_IDLE=$(fds); RSS_IDLE=$(rss_kib)

# --- the load (every part bounded in rate and time) ---
T0=$(date +%s)
CPU0=$(cpu_ticks)
(
    # ntp-loadgen runs at most 20 s per call: back to back for the whole soak.
    i=0; left=$SOAK_S
    while [ "$left" -gt 0 ]; do
        d=$((left < 20 ? left : 20))
        "$LOADGEN" --target $ADDR:$PORT --spoof-sources 100000 --sockets 16 --duration $d \
            --drain-ms 200 --json > "$T/loadgen.$i.json" 2>> "$T/loadgen.log" || true
        i=$((i+1)); left=$((left - d))
    done
) &
LOADGEN_JOB=$!; _PIDS="$_PIDS $LOADGEN_JOB"
$LOAD mode6 $ADDR $PORT --bind $MODE6_OK --rate 300 --duration "$SOAK_S" > "$T/mode6_ok.json" &
M6A=$!; _PIDS="$_PIDS $M6A"
$LOAD mode6 $ADDR $PORT --bind $MODE6_DENIED --rate 300 --duration "$SOAK_S" \
    > "$T/mode6_denied.json" &
M6D=$!; _PIDS="$_PIDS $M6D"
# The holder needs more than 1,000 fds of its own.
sh -c 'ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"' hold \
    $LOAD hold $ADDR $HTTP --conns 1000 --duration "$SOAK_S" > "$T/hold.json" &
HOLD=$!; _PIDS="$_PIDS $HOLD"
(
    n=0; ok=0
    while [ $(($(date +%s) - T0)) -lt "$SOAK_S" ]; do
        n=$((n+1))
        "$NTPQ" resync --socket "$SOCK" -t 2 > /dev/null 2>&1 && ok=$((ok+1))
        sleep 0.2
    done
    echo "$ok $n" > "$T/resync.count"
) &
RESYNC=$!; _PIDS="$_PIDS $RESYNC"
(
    n=0; ok=0
    while [ $(($(date +%s) - T0)) -lt "$SOAK_S" ]; do
        n=$((n+1))
        "$NTPQ" snapshot --socket "$SOCK" -t 2 > "$T/snap.json" 2>/dev/null && ok=$((ok+1))
        sleep 0.2
    done
    echo "$ok $n" > "$T/snapshot.count"
) &
SNAP=$!; _PIDS="$_PIDS $SNAP"

# The legitimate client, one query every 2 s; one scrape every 5 s; samples every second.
ntp_ok=0; ntp_n=0; scrape_ok=0; scrape_n=0
: > "$T/samples"
while [ $(($(date +%s) - T0)) -lt "$SOAK_S" ]; do
    t=$(($(date +%s) - T0))
    echo "$t $(rss_kib) $(fds)" >> "$T/samples"
    if [ $((t % 2)) = 0 ] && [ "$t" -ge 2 ]; then
        ntp_n=$((ntp_n+1))
        "$NTPQ" query $ADDR:$PORT -t 1 > /dev/null 2>&1 && ntp_ok=$((ntp_ok+1))
    fi
    if [ $((t % 5)) = 3 ]; then
        scrape_n=$((scrape_n+1))
        curl -s -m 3 -o "$T/metrics.txt" "http://$ADDR:$HTTP/metrics" &&
            grep -q '^ntpd_lite_' "$T/metrics.txt" && scrape_ok=$((scrape_ok+1))
    fi
    sleep 1
done
for p in $LOADGEN_JOB $M6A $M6D $HOLD $RESYNC $SNAP; do wait "$p" || fail "load job $p failed"; done
CPU1=$(cpu_ticks); T1=$(date +%s)
sleep 6  # the daemon's 5 s session deadline closes what the holder left
FDS_AFTER=$(fds); RSS_AFTER=$(rss_kib)

# --- figures ---
python3 - "$T" "$SOAK_S" "$WARMUP_S" <<'PY' > "$T/figures.txt"
import glob, json, sys
T, soak, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lg = [json.load(open(f)) for f in sorted(glob.glob(T + "/loadgen.*.json"))]
sent = sum(j["sent"] for j in lg); valid = sum(j["valid"] for j in lg)
dur = sum(j["duration_s"] for j in lg)
print(f"loadgen: {sent} requests from 100000 sources in {dur:.1f} s = {sent/dur:.0f}/s, "
      f"{valid} answered ({valid/dur:.0f}/s), kod {sum(j['kod'] for j in lg)}")
s = [tuple(map(int, l.split())) for l in open(T + "/samples")]
after = [x for x in s if x[0] >= warm]
print(f"rss_kib: min {min(x[1] for x in s)} at-warmup {after[0][1]} max-after-warmup "
      f"{max(x[1] for x in after)} last {after[-1][1]}")
print("rss_kib every ~10 s: " + " ".join(f"t={x[0]}:{x[1]}" for x in s
                                        if x[0] // 10 != (s[s.index(x) - 1][0] // 10 if s.index(x) else -1)))
print(f"fds: min {min(x[2] for x in s)} max {max(x[2] for x in s)} "
      f"max-after-warmup {max(x[2] for x in after)}")
for name in ("mode6_ok", "mode6_denied", "hold"):
    print(name + ": " + open(f"{T}/{name}.json").read().strip())
PY
RESYNC_C=$(cat "$T/resync.count"); SNAP_C=$(cat "$T/snapshot.count")
CPU_S=$(( (CPU1 - CPU0) / HZ )); WALL_S=$((T1 - T0))
{
    cat "$T/figures.txt"
    echo "legitimate NTP client: $ntp_ok of $ntp_n queries answered"
    echo "metrics scrapes: $scrape_ok of $scrape_n; control snapshots: ${SNAP_C% *} of ${SNAP_C#* }; resyncs accepted: ${RESYNC_C% *} of ${RESYNC_C#* }"
    echo "daemon cpu: $CPU_S s over $WALL_S s of load; idle before: fds $FDS_IDLE rss_kib $RSS_IDLE; 6 s after: fds $FDS_AFTER rss_kib $RSS_AFTER"
    echo "server counters: $(ntpd_counter received) received, $(ntpd_counter answered) answered, $(ntpd_counter rate_limited) rate-limited"
} | tee "$T/report.txt"

# --- assertions ---
[ "$ntp_ok" -ge 1 ] || fail "the legitimate NTP client got no answer during the load"
[ "$scrape_ok" -ge 1 ] || fail "no metrics scrape succeeded during the load"
[ "${SNAP_C% *}" -ge 1 ] || fail "no snapshot succeeded during the load"
[ "$(json_get "$T/mode6_ok.json" 'j["replies"] > 0')" = True ] || fail "allowed mode 6 got nothing"
[ "$(json_get "$T/mode6_denied.json" 'j["replies"]')" = 0 ] || fail "denied mode 6 answered"
# fds: bounded by the caps (64 metrics + 32 control sessions) over the idle count, and back to
# the idle count once the load is gone (+2: a resolver or source socket may be open).
max_fd=$(awk '{print $3}' "$T/samples" | sort -n | tail -n 1)
[ "$max_fd" -le $((FDS_IDLE + 64 + 32 + 4)) ] || fail "fd count $max_fd above idle $FDS_IDLE + caps"
[ "$FDS_AFTER" -le $((FDS_IDLE + 2)) ] || fail "fds after the load $FDS_AFTER > idle $FDS_IDLE + 2"
# RSS: flat after warm-up = the largest sample after warm-up is within 10 % (and at least
# 4 MiB, ASan's allocator grows in chunks) of the sample at warm-up.
python3 - "$T/samples" "$WARMUP_S" <<'PY' || fail "RSS grew after warm-up"
import sys
s = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
after = [x[1] for x in s if x[0] >= int(sys.argv[2])]
sys.exit(0 if max(after) <= after[0] + max(after[0] // 10, 4096) else 1)
PY

kill -TERM "$NTPD_PID"
rc=0; wait "$NTPD_PID" || rc=$?
[ "$rc" = 0 ] || fail "ntpd-lite exit status $rc after SIGTERM (LeakSanitizer reports exit 23)"
if ls "$T"/asan.* "$T"/ubsan.* > /dev/null 2>&1; then
    cat "$T"/asan.* "$T"/ubsan.* >&2 2>/dev/null || true
    fail "sanitizer report"
fi
grep -q 'runtime error' "$LOG" && fail "UBSan runtime error in the log"
pass "soak ${SOAK_S}s: responsive on every interface, RSS/fds flat, no sanitizer report, SIGTERM -> 0"
