#!/bin/sh
# CAP_NET_BIND_SERVICE across the privilege drop (issue 13): started as root, ntpd-lite switches
# to "nobody"; a reload (SIGHUP) that opens the metrics listener on a new port below 1024 works
# only when the capability was kept ([daemon] keep_net_bind_service, or a metrics port below 1024
# at start), and it is the only capability left (observe mode; CAP_SYS_TIME is dropped from the
# bounding set by setpriv as in every test, which keeps CAP_NET_BIND_SERVICE/SETUID/SETGID).
# Without the key the same reload fails with "Permission denied" and the daemon keeps running
# with no capability at all.
. "$NTPLITE_SRC/tests/system/lib.sh"
NOBODY_UID=$(id -u nobody)
CAP_NET_BIND=0000000000000400   # bit 10
ADDR=127.0.0.66
chmod a+rx "$T"   # nobody re-reads the config on SIGHUP

capeff() { awk '/^CapEff:/ {print $2}' "/proc/$1/status"; }
http_ok() { python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3).read()' "$1" 2>/dev/null; }
config() {  # config FILE KEEP [METRICS_LISTEN]
    {
        printf '[daemon]\nuser = "nobody"\n'
        if [ "$2" = keep ]; then printf 'keep_net_bind_service = true\n'; fi
        printf '[clock]\nmode = "observe"\n[local]\nstratum = 7\n'
        printf '[[server]]\nlisten = "%s:123"\nthreads = 1\n' "$ADDR"
        if [ -n "${3:-}" ]; then printf '[metrics]\nlisten = "%s"\n' "$3"; fi
    } > "$1"
}
start() {  # start CONFIG LOGNAME
    LOG="$T/$2.log"; : > "$LOG"
    setpriv --bounding-set=-sys_time --inh-caps=-sys_time "$NTPD" --config "$1" > "$LOG" 2>&1 &
    NTPD_PID=$!; _PIDS="$_PIDS $NTPD_PID"
    wait_log "running as nobody (uid $NOBODY_UID" 5
    bnd=$(awk '/^CapBnd:/ {print $2}' "/proc/$NTPD_PID/status")
    [ $(( (0x$bnd >> 25) & 1 )) -eq 0 ] || fail "CAP_SYS_TIME in the bounding set ($bnd)"
}
stop() { kill -TERM "$NTPD_PID"; wait "$NTPD_PID" || fail "exit status after SIGTERM"; }
reload() {  # reload NEW_CONFIG LIVE_CONFIG
    cp "$1" "$2"
    n=$(grep -c "reload: " "$LOG" || true)
    kill -HUP "$NTPD_PID"
    i=0; while [ "$(grep -c "reload: " "$LOG" || true)" -le "$n" ]; do
        i=$((i+1)); [ $i -lt 50 ] || fail "no reload line"; sleep 0.1; done
    sleep 0.2
}

# 1. keep_net_bind_service = true, no metrics at start: CapEff is exactly CAP_NET_BIND_SERVICE;
#    a reload adds [metrics] on port 981 and it answers.
config "$T/live.toml" keep
cp "$T/live.toml" "$T/a0.toml"
start "$T/live.toml" keep
[ "$(capeff "$NTPD_PID")" = $CAP_NET_BIND ] || fail "CapEff $(capeff "$NTPD_PID"), want $CAP_NET_BIND"
! http_ok "http://$ADDR:981/metrics" || fail "something already answers on $ADDR:981"
config "$T/a1.toml" keep "$ADDR:981"
reload "$T/a1.toml" "$T/live.toml"
http_ok "http://$ADDR:981/metrics" || fail "metrics not bound on $ADDR:981 after the reload: $(tail -3 "$LOG")"
[ "$(awk '/^Uid:/ {print $3}' /proc/$NTPD_PID/status)" = "$NOBODY_UID" ] || fail "not running as nobody"
pass "keep_net_bind_service: CapEff=$CAP_NET_BIND (only CAP_NET_BIND_SERVICE); reload binds metrics on $ADDR:981 as nobody"
stop

# 2. A metrics port below 1024 at start keeps it without the key; a reload moves it to 982.
config "$T/live.toml" nokeep "$ADDR:981"
start "$T/live.toml" auto
[ "$(capeff "$NTPD_PID")" = $CAP_NET_BIND ] || fail "CapEff $(capeff "$NTPD_PID") with a low metrics port, want $CAP_NET_BIND"
http_ok "http://$ADDR:981/metrics" || fail "metrics on $ADDR:981 at start"
config "$T/b1.toml" nokeep "$ADDR:982"
reload "$T/b1.toml" "$T/live.toml"
http_ok "http://$ADDR:982/metrics" || fail "metrics not moved to $ADDR:982: $(tail -3 "$LOG")"
pass "metrics below 1024 at start: capability kept, a reload moves the listener to $ADDR:982"
stop

# 3. The control: neither the key nor a low port at start: nothing kept, the reload's low port
#    is refused (and logged), the daemon keeps serving.
config "$T/live.toml" nokeep
start "$T/live.toml" none
[ "$(capeff "$NTPD_PID")" = 0000000000000000 ] || fail "CapEff $(capeff "$NTPD_PID"), want none"
config "$T/c1.toml" nokeep "$ADDR:983"
reload "$T/c1.toml" "$T/live.toml"
! http_ok "http://$ADDR:983/metrics" || fail "bound $ADDR:983 without the capability?"
grep -q "Permission denied" "$LOG" || fail "the refused bind is not logged: $(tail -3 "$LOG")"
kill -0 "$NTPD_PID" || fail "daemon exited after the refused bind"
pass "without it: CapEff=0, the reload's low port is refused with Permission denied, the daemon runs on"
stop
