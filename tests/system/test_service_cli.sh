#!/bin/sh
# Command-line hygiene of a system service: --version on both tools (the CMake project version),
# documented exit statuses, --check-config checking what the file names on this machine, the
# no-source warning, helpful errors, and log lines fit for a terminal/file (UTC with Z) and for
# the journal (<N> priority prefixes, no timestamps). Loopback only, observe mode, no CAP_SYS_TIME.
. "$NTPLITE_SRC/tests/system/lib.sh"

want=$(sed -n 's/^project(ntp-lite VERSION \([0-9.]*\) .*/\1/p' "$NTPLITE_SRC/CMakeLists.txt")
[ -n "$want" ] || fail "no project version in CMakeLists.txt"
[ "$("$NTPD" --version)" = "ntpd-lite $want" ] || fail "ntpd-lite --version: $("$NTPD" --version)"
[ "$("$NTPQ" --version)" = "ntpq-lite $want" ] || fail "ntpq-lite --version: $("$NTPQ" --version)"
deb=$(sed -n '1s/^ntp-lite (\([^)-]*\).*/\1/p' "$NTPLITE_SRC/debian/changelog")
[ "$deb" = "$want" ] || fail "debian/changelog version $deb differs from CMake's $want"
pass "--version on both tools: $want (CMake project version = debian/changelog)"

rc=0; "$NTPD" --bogus > "$T/usage.out" 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "unknown option: exit $rc, want 2"
grep -q "see ntpd-lite --help" "$T/usage.out" || fail "usage error text: $(cat "$T/usage.out")"
rc=0; "$NTPD" > /dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "no --config: exit $rc, want 2"
"$NTPD" --help | grep -q "^  4   another process holds" || fail "--help lacks the exit statuses"
pass "usage errors exit 2; --help lists the exit statuses"

# --check-config: interface, local address, socket directory, user, octal mode, no source.
cat > "$T/env.toml" <<CONF
[daemon]
user = "no-such-user-ntplite"

[[server]]
listen = "nosuchif0:12300"

[[server]]
listen = "192.0.2.77:12301"

[control]
socket = "$T/missing/deeper/control.sock"
CONF
rc=0; "$NTPD" --check-config "$T/env.toml" > "$T/env.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "--check-config with missing things: exit $rc, want 1: $(cat "$T/env.out")"
grep -q '\[daemon\] user "no-such-user-ntplite" does not exist' "$T/env.out" || fail "user not checked: $(cat "$T/env.out")"
grep -q "^$T/env.toml:4:1: \[\[server\]\] listen \"nosuchif0:12300\": .*nosuchif0" "$T/env.out" || fail "interface not checked: $(cat "$T/env.out")"
grep -q "^$T/env.toml:7:1: \[\[server\]\] listen 192.0.2.77:12301: is not an address of this machine" "$T/env.out" || fail "address not checked: $(cat "$T/env.out")"
grep -q "control socket $T/missing/deeper/control.sock: directory $T/missing/deeper does not exist" "$T/env.out" || fail "socket directory not checked: $(cat "$T/env.out")"
grep -q "^warning: .*no \[\[source\]\] and no \[local\] stratum" "$T/env.out" || fail "no-source warning missing: $(cat "$T/env.out")"
pass "--check-config reports a missing user, interface, local address and socket directory (exit 1)"

printf '[control]\nsocket_mode = 660\n' > "$T/mode.toml"
rc=0; "$NTPD" --check-config "$T/mode.toml" > "$T/mode.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "decimal socket_mode: exit $rc"
grep -q "write a permission mode in TOML octal, e.g. 0o660" "$T/mode.out" || fail "octal hint: $(cat "$T/mode.out")"
printf '[local]\nstratum = 10\n[control]\nsocket = "%s/rt/control.sock"\n' "$T" > "$T/ok.toml"
"$NTPD" --check-config "$T/ok.toml" > "$T/ok.out" 2>&1 || fail "valid config refused: $(cat "$T/ok.out")"
grep -q "^warning: .*directory $T/rt does not exist yet; the daemon creates it" "$T/ok.out" || fail "creatable dir: $(cat "$T/ok.out")"
pass "socket_mode = 660 says to write 0o660; a creatable socket directory is a warning only"

# Log format in a file: UTC timestamps ending in Z; the empty-config warning.
start_ntpd_lite '[log]
level = "info"' plain
LOG="$T/plain.log"
wait_log "no \[\[source\]\] and no \[local\]" 5
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z warning .*it does nothing' "$LOG" ||
    fail "log line format: $(head -3 "$LOG")"
grep -Eq '^[0-9-]{10}T[0-9:.]{12}Z info ntpd-lite [0-9.]+ starting' "$LOG" || fail "start line: $(head -3 "$LOG")"
kill -TERM "$NTPD_PID"; wait "$NTPD_PID" || fail "exit status after SIGTERM is not 0"
pass "file logs: UTC timestamps with Z; a config with no source and no [local] is warned about"

# Under the journal: JOURNAL_STREAM names our stderr (device:inode) -> "<N>message".
printf '[log]\nlevel = "info"\n[clock]\nmode = "observe"\n' > "$T/journal.toml"
: > "$T/journal.log"
js="$(stat -c '%d:%i' "$T/journal.log")"
JOURNAL_STREAM=$js $DROP_TIME "$NTPD" --config "$T/journal.toml" >> "$T/journal.log" 2>&1 &
NTPD_PID=$!; _PIDS="$_PIDS $NTPD_PID"; LOG="$T/journal.log"
wait_log "^<4>.*no \[\[source\]\]" 5
grep -q "^<6>ntpd-lite [0-9.]* starting" "$LOG" || fail "journal info line: $(head -3 "$LOG")"
grep -Eq '^[0-9]{4}-' "$LOG" && fail "timestamps under the journal: $(head -3 "$LOG")"
kill -TERM "$NTPD_PID"; wait "$NTPD_PID" || true
pass "journal logs: <6> info, <4> warning, no timestamps"

# A port bound to a root-only number without privileges says what to do.
printf '[clock]\nmode = "observe"\n[[server]]\nlisten = "127.0.0.1:123"\nthreads = 1\n' > "$T/lowport.toml"
chmod a+rx "$T"; chmod a+r "$T/lowport.toml"
rc=0; setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
    "$NTPD" --config "$T/lowport.toml" > "$T/lowport.log" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "bind without privileges: exit $rc, want 3: $(cat "$T/lowport.log")"
grep -q "bind: Permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE" "$T/lowport.log" || fail "bind hint: $(cat "$T/lowport.log")"
pass "bind: Permission denied says it needs root or CAP_NET_BIND_SERVICE (exit 3)"
