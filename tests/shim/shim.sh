# Helpers for system tests that run a program under the clock-emulation shim. Source after
# tests/system/lib.sh (uses $NTPLITE_BIN, $DROP_TIME, $_PIDS, fail).

SHIM_LIB="$NTPLITE_BIN/tests/shim/libntplite_clock_shim.so"

# start_under_clock_shim OFFSET_NS FREQ_PPM STATE_FILE CMD [ARGS...]: starts CMD in the
# background with an emulated clock OFFSET_NS ahead of the real one and FREQ_PPM fast, and with
# CAP_SYS_TIME dropped (so nothing reaches the real clock even if the shim failed to load).
# Waits until the shim has written STATE_FILE for that very process; sets SHIM_PID.
start_under_clock_shim() {
    _off=$1; _ppm=$2; _state=$3; shift 3
    [ -f "$SHIM_LIB" ] || fail "clock shim not built: $SHIM_LIB"
    rm -f "$_state"
    $DROP_TIME env LD_PRELOAD="$SHIM_LIB" NTPLITE_SHIM_OFFSET_NS="$_off" \
        NTPLITE_SHIM_FREQ_PPM="$_ppm" NTPLITE_SHIM_STATE="$_state" "$@" &
    SHIM_PID=$!
    _PIDS="$_PIDS $SHIM_PID"
    _i=0
    while [ "$(shim_value "$_state" pid 2>/dev/null)" != "$SHIM_PID" ]; do
        _i=$((_i + 1))
        [ $_i -le 100 ] || fail "the clock shim did not start in pid $SHIM_PID"
        sleep 0.05
    done
}

# shim_value STATE_FILE KEY: prints one value of the shim's state file.
shim_value() { sed -n "s/^$2=//p" "$1"; }
