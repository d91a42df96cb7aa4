#!/bin/sh
# SIGHUP reloads the configuration: a source added and one removed while an unchanged source
# keeps its reach (its state is not reset), access lists and the log level applied, a change
# that needs a restart logged as such, and a broken file refused with its file:line:column error
# while the running configuration stays in force. Loopback chronyd peers (-x, no CAP_SYS_TIME),
# ntpd-lite in observe mode without CAP_SYS_TIME.
. "$NTPLITE_SRC/tests/system/lib.sh"
PROBE="python3 $NTPLITE_SRC/tests/system/server_probe.py"
start_chronyd_server 12411 127.0.0.4
start_chronyd_server 12412 127.0.0.5
SOCK="$T/ctl.sock"

write_conf() {  # write_conf LEVEL DENY EXTRA_SOURCE
    cat > "$T/ntpd.toml" <<CONF
[log]
level = "$1"
[clock]
mode = "observe"
[control]
socket = "$SOCK"
[[server]]
listen = "127.0.0.6:12413"
threads = 1
allow = ["127.0.0.0/8"]
deny = [$2]
[[source]]
address = "127.0.0.4:12411"
iburst = true
minpoll = 0
maxpoll = 0
$3
CONF
}
B_SOURCE='[[source]]
address = "127.0.0.5:12412"
iburst = true
minpoll = 0
maxpoll = 0'
source_field() {  # source_field ADDRESS FIELD -> value, or "none" if absent
    "$NTPQ" snapshot --socket "$SOCK" --json > "$T/snap.json" || fail "snapshot failed"
    json_get "$T/snap.json" "next((s['$2'] for s in j['sources'] if s['address'] == '$1'), 'none')"
}
wait_reach_full() {  # wait_reach_full ADDRESS SECONDS: until its reach register is 0377
    i=0
    while [ "$(source_field "$1" reach)" != 255 ]; do
        i=$((i+1)); [ $i -lt $(($2 * 5)) ] || fail "$1 reach $(source_field "$1" reach) after $2 s"
        sleep 0.2
    done
}
hup_and_wait() {  # hup_and_wait PATTERN: SIGHUP, then until the log shows PATTERN
    kill -HUP "$NTPD_PID"
    wait_log "$1" 5
}

write_conf info "" ""
$DROP_TIME "$NTPD" --config "$T/ntpd.toml" > "$T/ntpd.log" 2>&1 &
NTPD_PID=$!; _PIDS="$_PIDS $NTPD_PID"; LOG="$T/ntpd.log"
wait_log "control socket $SOCK" 5
wait_reach_full 127.0.0.4 20
sent_a=$(source_field 127.0.0.4 requests_sent)
pass "source A (127.0.0.4) reachable, reach 0377 after $sent_a requests"

write_conf info "" "$B_SOURCE"
hup_and_wait "server 127.0.0.5:12412: added by the reload"
[ "$(source_field 127.0.0.4 reach)" = 255 ] || fail "A's reach reset by the reload: $(source_field 127.0.0.4 reach)"
[ "$(source_field 127.0.0.4 requests_sent)" -ge "$sent_a" ] || fail "A's request count reset"
i=0; while [ "$(source_field 127.0.0.5 reach)" = none ] || [ "$(source_field 127.0.0.5 reach)" = 0 ]; do
    i=$((i+1)); [ $i -lt 50 ] || fail "added source B never reached"; sleep 0.2; done
pass "reload adds B (reach $(source_field 127.0.0.5 reach)); A keeps reach 0377 and its counters"

write_conf info "" ""
hup_and_wait "server 127.0.0.5:12412: removed by the reload"
[ "$(source_field 127.0.0.5 reach)" = none ] || fail "B still listed after removal"
[ "$(source_field 127.0.0.4 reach)" = 255 ] || fail "A's reach reset by removing B"
pass "reload removes B; A unaffected"

# Access lists: the [[server]] deny list is applied by the running workers.
[ "$($PROBE 127.0.0.6 12413 --bind 127.0.0.7 | python3 -c 'import json,sys; print(json.load(sys.stdin)["normal"])')" = 1 ] ||
    fail "server does not answer 127.0.0.7 before the reload"
write_conf debug '"127.0.0.7"' ""
hup_and_wait "reload: applied"
sleep 0.2  # the workers apply it on their own threads
[ "$($PROBE 127.0.0.6 12413 --bind 127.0.0.7 --wait 0.5 | python3 -c 'import json,sys; print(json.load(sys.stdin)["normal"])')" = 0 ] ||
    fail "deny list not applied by the reload"
[ "$($PROBE 127.0.0.6 12413 --bind 127.0.0.8 | python3 -c 'import json,sys; print(json.load(sys.stdin)["normal"])')" = 1 ] ||
    fail "other clients refused after the reload"
wait_log " debug reload: log level debug" 5
pass "reload applies the deny list (127.0.0.7 refused, 127.0.0.8 served) and log level debug"

# A change that needs a restart is logged and not applied.
sed -i 's/^mode = "observe"/mode = "observe"\nstep_threshold = 0.5/' "$T/ntpd.toml"
hup_and_wait "reload: \[clock\] changed but needs a restart"
pass "a [clock] change is logged as needing a restart"

# A broken file is refused with file:line:column; everything keeps running.
printf '[log]\nlevel = "loud"\n[[source]]\naddress = "127.0.0.5:12412"\nminpol = 3\n' > "$T/ntpd.toml"
hup_and_wait "reload refused: $T/ntpd.toml has 2 error(s)"
grep -q "reload: $T/ntpd.toml:2:9: unknown log level \"loud\"" "$LOG" || fail "no file:line:col error: $(tail -5 "$LOG")"
grep -q "reload: $T/ntpd.toml:5:1: unknown key \"minpol\"" "$LOG" || fail "no unknown-key error: $(tail -5 "$LOG")"
kill -0 "$NTPD_PID" || fail "daemon died on a broken reload"
[ "$(source_field 127.0.0.4 reach)" = 255 ] || fail "A disturbed by the refused reload"
[ "$(source_field 127.0.0.5 reach)" = none ] || fail "the refused file's source was applied"
[ "$($PROBE 127.0.0.6 12413 --bind 127.0.0.7 --wait 0.5 | python3 -c 'import json,sys; print(json.load(sys.stdin)["normal"])')" = 0 ] ||
    fail "the running deny list was lost by the refused reload"
pass "broken config refused with file:line:column errors; running configuration kept"

kill -TERM "$NTPD_PID"; wait "$NTPD_PID" || fail "exit status after SIGTERM"
[ ! -e "$SOCK" ] || fail "control socket left after SIGTERM"
pass "SIGTERM after reloads: exit 0, control socket removed"
