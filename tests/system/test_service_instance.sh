#!/bin/sh
# One instance per runtime directory, port and control socket: a second ntpd-lite (same pid
# file, same NTP address:port, or same control socket) and ntpd-lite on chronyd's port are
# refused with exit status 4 and one line naming the process; the first daemon's socket files
# survive; a crashed daemon's leftovers (unlocked pid file, dead socket) are taken over.
. "$NTPLITE_SRC/tests/system/lib.sh"
RUN="$T/ntpd-lite-run"   # does not exist yet: the daemon creates it

conf() {  # conf PIDFILE SOCKET LISTEN
    printf '[daemon]\npidfile = "%s"\n[local]\nstratum = 6\n[clock]\nmode = "observe"\n' "$1"
    printf '[control]\nsocket = "%s"\n[[server]]\nlisten = "%s"\nthreads = 2\n' "$2" "$3"
}
expect_refused() {  # expect_refused NAME PATTERN: runs $T/NAME.toml, wants exit 4 and PATTERN
    rc=0; $DROP_TIME "$NTPD" --config "$T/$1.toml" > "$T/$1.log" 2>&1 || rc=$?
    [ $rc -eq 4 ] || fail "$1: exit $rc, want 4: $(cat "$T/$1.log")"
    grep -q -- "$2" "$T/$1.log" || fail "$1: no '$2' in: $(cat "$T/$1.log")"
}
snapshot_ok() { "$NTPQ" snapshot --socket "$RUN/control.sock" --json > "$T/snap.json" 2>&1; }

conf "$RUN/ntpd-lite.pid" "$RUN/control.sock" 127.0.0.2:12401 > "$T/a.toml"
$DROP_TIME "$NTPD" --config "$T/a.toml" > "$T/a.log" 2>&1 &
A=$!; _PIDS="$_PIDS $A"; NTPD_PID=$A; LOG="$T/a.log"
wait_log "control socket $RUN/control.sock" 5
wait_udp_port 127.0.0.2 12401
[ "$(cat "$RUN/ntpd-lite.pid")" = "$A" ] || fail "pid file holds '$(cat "$RUN/ntpd-lite.pid")', want $A"
snapshot_ok || fail "first daemon's control socket: $(cat "$T/snap.json")"
pass "first daemon: created $RUN, pid file with its pid, control socket answers"

conf "$RUN/ntpd-lite.pid" "$RUN/control.sock" 127.0.0.2:12401 > "$T/same.toml"
expect_refused same "another ntpd-lite is running (pid $A): it holds the lock on $RUN/ntpd-lite.pid"
snapshot_ok || fail "the refused second daemon removed the first one's control socket"
pass "same config twice: refused by the pid file lock naming pid $A; first control socket intact"

conf "$T/b.pid" "$T/b.sock" 127.0.0.2:12401 > "$T/port.toml"
expect_refused port "127.0.0.2:12401 is in use by pid $A (ntpd-lite)"
conf "$T/c.pid" "$T/c.sock" 0.0.0.0:12401 > "$T/wild.toml"
expect_refused wild "0.0.0.0:12401 is in use by pid $A (ntpd-lite) bound to 127.0.0.2:12401"
[ "$(ss -Hlun 'sport = :12401' | wc -l)" -eq 2 ] || fail "sockets on 12401: $(ss -Hlunp 'sport = :12401')"
pass "same address:port (and the wildcard over it) refused naming pid $A; only its 2 worker sockets remain"

conf "$T/d.pid" "$RUN/control.sock" 127.0.0.2:12402 > "$T/sock.toml"
expect_refused sock "control socket $RUN/control.sock is in use by pid $A"
snapshot_ok || fail "control socket gone after a refused daemon"
pass "a live daemon's control socket is never removed (refused naming pid $A)"

# chronyd (with SO_REUSEPORT on its server socket, like every chronyd 4.x) on a loopback port.
start_chronyd_server 12403 127.0.0.3
CHRONY=$(cat "$T/chronyd-127.0.0.3-12403.pid")
conf "$T/e.pid" "$T/e.sock" 127.0.0.3:12403 > "$T/chrony.toml"
expect_refused chrony "127.0.0.3:12403 is in use by pid $CHRONY (chronyd)"
pass "chronyd's port refused naming pid $CHRONY (chronyd)"

# A crash leaves an unlocked pid file and a dead socket: the next daemon takes both over.
kill -KILL "$A"; wait "$A" 2>/dev/null || true
[ -S "$RUN/control.sock" ] && [ -f "$RUN/ntpd-lite.pid" ] || fail "kill -9 should leave the files"
$DROP_TIME "$NTPD" --config "$T/a.toml" > "$T/a2.log" 2>&1 &
A2=$!; _PIDS="$_PIDS $A2"; NTPD_PID=$A2; LOG="$T/a2.log"
wait_log "control socket $RUN/control.sock" 5
[ "$(cat "$RUN/ntpd-lite.pid")" = "$A2" ] || fail "stale pid file not taken over"
snapshot_ok || fail "restarted daemon's control socket: $(cat "$T/snap.json")"
kill -TERM "$A2"; wait "$A2" || fail "exit status after SIGTERM"
[ ! -e "$RUN/control.sock" ] && [ ! -e "$RUN/ntpd-lite.pid" ] || fail "files left after a clean stop: $(ls "$RUN")"
pass "after kill -9 the next daemon takes over the pid file and socket; a clean stop removes both"
