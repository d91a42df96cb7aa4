#!/bin/sh
# Issue 5, the step case: the unmodified ntpd-lite in discipline mode under the clock shim
# (CAP_SYS_TIME dropped) with an emulated clock 10 s behind the real one and 50 ppm fast must
# step it (once: a 10 s offset is never slewed) and then hold it within 1 ms with a residual
# frequency error within 5 ppm. A second run 10 s *ahead* with `max_backward_step = 0` checks
# the backward step too. The source is chronyd -x serving the real clock on loopback.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/shim/shim.sh"
. "$NTPLITE_SRC/tests/system/discipline_lib.sh"

UP_PORT=15321
start_chronyd_server $UP_PORT 127.0.0.1 10

# check_step NAME WANT_NS: one step of about WANT_NS (within 10 ms) was made.
check_step() {
    steps=$(shim_value "$T/$1.state" steps)
    total=$(shim_value "$T/$1.state" step_total_ns)
    [ "$steps" -ge 1 ] || fail "$1: the clock was never stepped"
    abs_lt "$((total - $2))" 10000000 || fail "$1: stepped by $total ns in total, expected about $2 ns"
    grep -q "clock stepped by" "$T/$1.log" || fail "$1: no step logged"
}

start_ntpd_disciplined behind -10000000000 50 "$(discipline_config $UP_PORT "$T/drift-behind")"
wait_converged behind 1000000 5 5 60
check_step behind 10000000000
off=$(shim_value "$T/behind.state" offset_ns); ferr=$(shim_value "$T/behind.state" net_freq_ppm)
pass "10 s behind: stepped forward ($steps step(s)), converged in ${CONVERGED_S} s: offset $off ns, residual frequency $ferr ppm"
echo "figure: step -10s/50ppm converged_s=$CONVERGED_S offset_ns=$off freq_error_ppm=$ferr steps=$steps step_total_ns=$total"
stop_ntpd behind

start_ntpd_disciplined ahead 10000000000 -20 \
    "$(discipline_config $UP_PORT "$T/drift-ahead" "max_backward_step = 0.0")"
wait_converged ahead 1000000 5 5 60
check_step ahead -10000000000
off=$(shim_value "$T/ahead.state" offset_ns); ferr=$(shim_value "$T/ahead.state" net_freq_ppm)
pass "10 s ahead: stepped back ($steps step(s)), converged in ${CONVERGED_S} s: offset $off ns, residual frequency $ferr ppm"
echo "figure: step +10s/-20ppm converged_s=$CONVERGED_S offset_ns=$off freq_error_ppm=$ferr steps=$steps step_total_ns=$total"
