# Helpers for the discipline-mode system tests (tests/system/test_discipline_*.sh). Source after
# tests/system/lib.sh and tests/shim/shim.sh.
#
# lib.sh's start_ntpd_lite forces observe mode, as every other test must. These tests need the
# unmodified ntpd-lite in discipline mode, which is only ever allowed here, and only:
#  - under the clock-emulation shim (LD_PRELOAD), whose library must exist, and which must be
#    mapped into the running daemon (checked after start), AND
#  - with CAP_SYS_TIME out of the bounding set (checked in /proc after start), so if the shim
#    failed to load every adjustment fails with EPERM and the daemon falls back to observe mode.

# start_ntpd_disciplined NAME OFFSET_NS FREQ_PPM CONFIG_BODY [ENV=VALUE...]: writes $T/NAME.toml
# and starts ntpd-lite with it under the shim (state file $T/NAME.state, log $T/NAME.log), the
# emulated clock OFFSET_NS ahead of the real one and FREQ_PPM fast. Sets NTPD_PID.
start_ntpd_disciplined() {
    _name=$1; _off=$2; _ppm=$3; _body=$4; shift 4
    [ -f "$SHIM_LIB" ] || fail "refusing to run ntpd-lite in discipline mode: no clock shim at $SHIM_LIB"
    _conf="$T/$_name.toml"
    printf '%s\n' "$_body" > "$_conf"
    grep -q 'mode = "observe"' "$_conf" && fail "$_conf: these tests are for discipline mode"
    # Extra variables go through the environment (not another `env`, which would load the shim
    # into one more program image under the same pid).
    # The shim refreshes its state file from clock reads too; that file IO (~0.4 ms here) would
    # sit between the daemon's transmit-time read and its send and bias every measurement.
    # Adjustments (every clock update: at least the kernel status) still rewrite it, after the
    # response was processed, so the file stays current to within one poll.
    export NTPLITE_SHIM_STATE_INTERVAL_MS=86400000
    for _kv in "$@"; do export "${_kv?}"; done
    start_under_clock_shim "$_off" "$_ppm" "$T/$_name.state" "$NTPD" --config "$_conf" \
        > "$T/$_name.log" 2>&1
    for _kv in "$@"; do unset "${_kv%%=*}"; done
    unset NTPLITE_SHIM_STATE_INTERVAL_MS
    NTPD_PID=$SHIM_PID
    # Fail safe, checked on the running process: it is ntpd-lite, the shim is really mapped into
    # it, and it can never get CAP_SYS_TIME (bit 25) back.
    [ "$(readlink "/proc/$NTPD_PID/exe")" = "$(readlink -f "$NTPD")" ] ||
        fail "pid $NTPD_PID is not ntpd-lite but $(readlink "/proc/$NTPD_PID/exe")"
    grep -q libntplite_clock_shim "/proc/$NTPD_PID/maps" || fail "the shim is not loaded in ntpd-lite"
    _bnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' "/proc/$NTPD_PID/status")
    [ $(( (0x$_bnd >> 25) & 1 )) -eq 0 ] || fail "ntpd-lite still has CAP_SYS_TIME in its bounding set"
}

# stop_ntpd NAME: SIGTERM and wait until it exited (it saves the drift file on the way out).
stop_ntpd() {
    kill "$NTPD_PID"
    _i=0
    while kill -0 "$NTPD_PID" 2>/dev/null; do
        _i=$((_i + 1)); [ $_i -lt 100 ] || fail "ntpd-lite ($1) did not exit on SIGTERM"
        sleep 0.1
    done
}

# wait_log_line NAME PATTERN SECONDS: until $T/NAME.log has a line matching PATTERN.
wait_log_line() {
    _i=0
    while ! grep -q -- "$2" "$T/$1.log"; do
        _i=$((_i + 1)); [ $_i -lt $(($3 * 10)) ] || fail "$1: no log line matching '$2' within $3 s"
        kill -0 "$NTPD_PID" 2>/dev/null || fail "ntpd-lite ($1) exited"
        sleep 0.1
    done
}

# abs_lt A B: |A| < B (floats).
abs_lt() { python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1])) < float(sys.argv[2]) else 1)" "$1" "$2"; }

# wait_converged NAME MAX_OFFSET_NS MAX_FREQ_PPM HOLD_S TIMEOUT_S: until the emulated clock of
# ntpd-lite NAME has stayed within MAX_OFFSET_NS of the real clock with a residual frequency
# error within MAX_FREQ_PPM for HOLD_S consecutive one-second checks. Sets CONVERGED_S (seconds
# from the call to the first of those checks).
wait_converged() {
    _state="$T/$1.state"; _start=$(date +%s); _good=0; _first=0
    while :; do
        kill -0 "$NTPD_PID" 2>/dev/null || fail "ntpd-lite ($1) exited"
        _o=$(shim_value "$_state" offset_ns); _f=$(shim_value "$_state" net_freq_ppm)
        if abs_lt "$_o" "$2" && abs_lt "$_f" "$3"; then
            [ $_good -eq 0 ] && _first=$(($(date +%s) - _start))
            _good=$((_good + 1))
            [ $_good -ge "$4" ] && break
        else
            _good=0
        fi
        [ $(($(date +%s) - _start)) -lt "$5" ] ||
            fail "$1: not converged within $5 s (offset $_o ns, residual frequency $_f ppm)"
        sleep 1
    done
    CONVERGED_S=$_first
}

# discipline_config PORT DRIFT_FILE [EXTRA_CLOCK_LINES]: a config syncing to chronyd on
# 127.0.0.1:PORT with fast polling, in discipline mode (the default, written out anyway).
discipline_config() {
    cat <<EOF
[log]
level = "${LOGLEVEL:-info}"

[[source]]
mode = "server"
address = "127.0.0.1:$1"
iburst = true
minpoll = -1
maxpoll = 1

[clock]
mode = "discipline"
drift_file = "$2"
${3:-}
EOF
}

# watch_offsets NAME SECONDS: samples the emulated clock once a second for SECONDS and sets
# MAX_ABS_OFFSET_NS (largest |offset| seen) and MAX_ABS_FREQ_PPM (largest |residual frequency|).
watch_offsets() {
    MAX_ABS_OFFSET_NS=0; MAX_ABS_FREQ_PPM=0; _n=0
    while [ $_n -lt "$2" ]; do
        kill -0 "$NTPD_PID" 2>/dev/null || fail "ntpd-lite ($1) exited"
        _o=$(shim_value "$T/$1.state" offset_ns); _f=$(shim_value "$T/$1.state" net_freq_ppm)
        MAX_ABS_OFFSET_NS=$(python3 -c "print(max(abs(int('$_o')), $MAX_ABS_OFFSET_NS))")
        MAX_ABS_FREQ_PPM=$(python3 -c "print(round(max(abs(float('$_f')), $MAX_ABS_FREQ_PPM), 6))")
        _n=$((_n + 1)); sleep 1
    done
}
