#!/bin/sh
# Issue 5: the unmodified ntpd-lite in discipline mode pulls in an emulated clock. Its clock is
# the LD_PRELOAD shim's emulation (tests/shim/), 0.3 s ahead of the real clock and running
# 50 ppm fast; CAP_SYS_TIME is dropped, so the real clock cannot be touched. The source is a
# chronyd -x serving the real clock on loopback. Within 90 s the emulated clock must be within
# 1 ms of the real one with a residual frequency error within 5 ppm (held for 5 s), and the
# kernel status (STA_UNSYNC cleared, maxerror/esterror set) must say synchronized, and say
# unsynchronized again once the source is gone (2 s holdover).
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/shim/shim.sh"
. "$NTPLITE_SRC/tests/system/discipline_lib.sh"

UP_PORT=15311
start_chronyd_server $UP_PORT 127.0.0.1 10

start_ntpd_disciplined pullin 300000000 50 "$(discipline_config $UP_PORT "$T/drift" "holdover = 2.0")"
wait_log_line pullin "disciplining the system clock" 5
pass "ntpd-lite disciplines the emulated clock (shim loaded, CAP_SYS_TIME dropped)"

wait_converged pullin 1000000 5 5 85
off=$(shim_value "$T/pullin.state" offset_ns)
ferr=$(shim_value "$T/pullin.state" net_freq_ppm)
freq=$(shim_value "$T/pullin.state" freq_ppm)
steps=$(shim_value "$T/pullin.state" steps)
pass "converged in ${CONVERGED_S} s: offset $off ns, residual frequency $ferr ppm (correction $freq ppm), $steps step(s)"
# And it stays there: 15 more seconds, every sample within 1 ms and 5 ppm.
watch_offsets pullin 15
abs_lt "$MAX_ABS_OFFSET_NS" 1000000 || fail "offset went to $MAX_ABS_OFFSET_NS ns after converging"
abs_lt "$MAX_ABS_FREQ_PPM" 5 || fail "residual frequency went to $MAX_ABS_FREQ_PPM ppm after converging"
off=$(shim_value "$T/pullin.state" offset_ns)
ferr=$(shim_value "$T/pullin.state" net_freq_ppm)
pass "held for 15 s: max |offset| $MAX_ABS_OFFSET_NS ns, max |residual frequency| $MAX_ABS_FREQ_PPM ppm"
echo "figure: pullin 0.3s/50ppm converged_s=$CONVERGED_S final_offset_ns=$off final_freq_error_ppm=$ferr max_abs_offset_ns_15s=$MAX_ABS_OFFSET_NS max_abs_freq_error_ppm_15s=$MAX_ABS_FREQ_PPM steps=$steps"

# Kernel sync status as adjtimex readers see it: STA_UNSYNC (0x40) clear, errors below 16 s.
status=$(shim_value "$T/pullin.state" status)
[ $(( status & 0x40 )) -eq 0 ] || fail "STA_UNSYNC still set (status $status)"
maxerr=$(shim_value "$T/pullin.state" maxerror_us)
esterr=$(shim_value "$T/pullin.state" esterror_us)
[ "$maxerr" -lt 16000000 ] && [ "$esterr" -lt 16000000 ] || fail "maxerror $maxerr us / esterror $esterr us not set"
pass "kernel status synchronized: status $status, maxerror $maxerr us, esterror $esterr us"
grep -q "observe mode" "$T/pullin.log" && fail "ntpd-lite fell back to observe mode"
[ "$(shim_value "$T/pullin.state" denied)" = 0 ] || fail "adjustments were denied"
pass "no refused adjustment"

# Sync lost (the source stops; 2 s holdover): the kernel status goes back to unsynchronized.
kill "$(cat "$T/chronyd-127.0.0.1-$UP_PORT.pid")"
wait_log_line pullin "sync: kernel clock status: unsynchronized" 40
status=$(shim_value "$T/pullin.state" status)
[ $(( status & 0x40 )) -ne 0 ] || fail "STA_UNSYNC not set after sync loss (status $status)"
[ "$(shim_value "$T/pullin.state" maxerror_us)" -ge 16000000 ] || fail "maxerror not reset to 16 s"
pass "sync lost: kernel status $status (STA_UNSYNC), maxerror 16 s"
