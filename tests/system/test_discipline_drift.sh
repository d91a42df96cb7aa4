#!/bin/sh
# Issue 5, the drift file, with the unmodified ntpd-lite in discipline mode under the clock
# shim (CAP_SYS_TIME dropped), synced to chronyd -x on loopback:
#  1. a first run (emulated clock 50 ppm fast) learns the frequency and saves it at exit
#     (SIGTERM): about -50 ppm, atomically written ("-50.xxxxxx\n", no temp file left);
#  2. a second run starts with the saved frequency applied before any measurement (residual
#     within 5 ppm instead of 50) and, started 0.5 ms off, stays within 1 ms with no step;
#  3. corrupt, truncated, absurd (> 500 ppm) and empty files: one warning each, the daemon
#     starts at 0 ppm, keeps running and still synchronizes;
#  4. periodic saves: with drift_save_interval = 2 the file appears while the daemon runs
#     (one interval after start, after at least 8 clock updates).
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/shim/shim.sh"
. "$NTPLITE_SRC/tests/system/discipline_lib.sh"

UP_PORT=15331
DRIFT="$T/drift"
start_chronyd_server $UP_PORT 127.0.0.1 10

# 1. Learn and save at exit.
start_ntpd_disciplined first 200000000 50 "$(discipline_config $UP_PORT "$DRIFT")"
wait_converged first 1000000 5 10 85
learned=$(shim_value "$T/first.state" freq_ppm)
stop_ntpd first
[ -f "$DRIFT" ] || fail "no drift file after exit"
grep -q "drift file $DRIFT saved" "$T/first.log" || fail "the save at exit was not logged"
saved=$(cat "$DRIFT")
printf '%s\n' "$saved" | grep -qE '^-?[0-9]+\.[0-9]{6}$' || fail "drift file content '$saved'"
[ "$(tail -c 1 "$DRIFT" | od -An -c | tr -d ' ')" = '\n' ] || fail "drift file not newline-terminated"
abs_lt "$(python3 -c "print($saved + 50)")" 5 || fail "saved $saved ppm, expected about -50"
ls "$T" | grep -q '^drift\.' && fail "temporary drift file left behind: $(ls "$T")"
pass "drift file saved at exit: $saved ppm (the running correction was $learned ppm)"

# 2. Restart: the saved frequency is applied at start, before any measurement.
start_ntpd_disciplined second 500000 50 "$(discipline_config $UP_PORT "$DRIFT")"
wait_log_line second "from the drift file" 5
# The first frequency written (the start-up probe): later writes also carry slews (by rate).
start_freq=$(shim_value "$T/second.state" first_freq_ppm)
abs_lt "$(python3 -c "print($start_freq - ($saved))")" 0.001 ||
    fail "second run started at $start_freq ppm, not the saved $saved ppm"
start_ferr=$(python3 -c "print($start_freq + $(shim_value "$T/second.state" freq_error_ppm))")
pass "restart applies the saved frequency at once: $start_freq ppm (residual $start_ferr ppm)"
abs_lt "$start_ferr" 5 || fail "second run starts $start_ferr ppm off (the file should bring it within 5)"
watch_offsets second 15
abs_lt "$MAX_ABS_OFFSET_NS" 1000000 || fail "second run: offset went to $MAX_ABS_OFFSET_NS ns"
[ "$(shim_value "$T/second.state" steps)" = 0 ] || fail "second run stepped the clock"
off=$(shim_value "$T/second.state" offset_ns); ferr=$(shim_value "$T/second.state" net_freq_ppm)
pass "second run: within 1 ms from the start without a step (max |offset| $MAX_ABS_OFFSET_NS ns over 15 s, now $off ns, residual $ferr ppm)"
echo "figure: drift restart saved_ppm=$saved start_freq_error_ppm=$start_ferr max_abs_offset_ns_15s=$MAX_ABS_OFFSET_NS final_offset_ns=$off final_freq_error_ppm=$ferr"
stop_ntpd second

# 3. Bad files: a warning, start at 0 ppm, no crash, still synchronizing.
n=0
for content in 'garbage\n' '12.5' '900.0\n' '' 'nan\n'; do
    n=$((n + 1))
    printf "$content" > "$DRIFT"
    start_ntpd_disciplined "bad$n" 0 50 "$(discipline_config $UP_PORT "$DRIFT")"
    wait_log_line "bad$n" "ignoring drift file" 5
    [ "$(grep -c 'ignoring drift file' "$T/bad$n.log")" = 1 ] || fail "bad$n: more than one warning"
    f=$(shim_value "$T/bad$n.state" first_freq_ppm)
    abs_lt "$f" 0.000001 || fail "bad$n: started at $f ppm, not 0"
    wait_log_line "bad$n" "sync: update 2: offset" 20
    kill -0 "$NTPD_PID" || fail "bad$n: ntpd-lite died"
    pass "bad drift file '$content': $(grep -o 'ignoring drift file.*' "$T/bad$n.log" | head -n 1); started at 0 ppm, synchronizing"
    stop_ntpd "bad$n"
done

# 4. Periodic save while running.
rm -f "$DRIFT"
start_ntpd_disciplined periodic 0 50 "$(discipline_config $UP_PORT "$DRIFT" "drift_save_interval = 2.0")"
i=0
while [ ! -f "$DRIFT" ]; do
    i=$((i + 1)); [ $i -lt 300 ] || fail "no periodic drift save within 30 s"
    kill -0 "$NTPD_PID" || fail "ntpd-lite died"
    sleep 0.1
done
pass "periodic save while running: $(cat "$DRIFT") ppm"
stop_ntpd periodic
