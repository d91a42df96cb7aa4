#!/bin/sh
# Issue 5, the EPERM fallback: ntpd-lite in discipline mode whose kernel (the clock shim with
# NTPLITE_SHIM_DENY=1, CAP_SYS_TIME dropped as well) refuses every adjustment must log exactly
# one clear line, continue in observe mode (measuring, never adjusting), and keep running.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/shim/shim.sh"
. "$NTPLITE_SRC/tests/system/discipline_lib.sh"

UP_PORT=15341
start_chronyd_server $UP_PORT 127.0.0.1 10

start_ntpd_disciplined denied 300000000 50 "$(discipline_config $UP_PORT "$T/drift")" NTPLITE_SHIM_DENY=1
wait_log_line denied "sync: update 4: offset" 30
n=$(grep -c "refused" "$T/denied.log" || true)
[ "$n" = 1 ] || fail "$n lines about the refusal (want exactly 1)"
grep -q "refused to let us adjust the clock.*observe mode" "$T/denied.log" || fail "refusal line unclear"
grep -q "observe mode: clock not adjusted" "$T/denied.log" || fail "updates not marked as observe mode"
[ "$(shim_value "$T/denied.state" adjustments)" = 0 ] || fail "an adjustment got through"
[ "$(shim_value "$T/denied.state" steps)" = 0 ] || fail "the clock was stepped"
[ "$(shim_value "$T/denied.state" denied)" -ge 1 ] || fail "the kernel was never asked"
off=$(shim_value "$T/denied.state" offset_ns)
abs_lt "$((off - 300000000))" 5000000 || fail "the emulated clock moved: offset $off ns"
pass "EPERM: one line ($(grep -o 'clock: the kernel refused.*' "$T/denied.log")), observe mode, clock untouched"
[ -f "$T/drift" ] && fail "a drift file was written in observe mode"
stop_ntpd denied
pass "no drift file in observe mode; clean exit"
