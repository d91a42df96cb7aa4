#!/bin/sh
# The systemd units pass `systemd-analyze verify` (offline: this machine does not boot systemd),
# their `systemd-analyze security` exposure is printed and bounded, and the man pages built by
# scdoc render with `man -l` and document every exit status of ntpd-lite's --help.
. "$NTPLITE_SRC/tests/system/lib.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (apt-get install systemd)"

# The configured units name the install paths; point them at the built binaries for verify
# (it checks that ExecStart= is executable).
mkdir -p "$T/units"
for u in ntpd-lite.service ntpd-lite-wait.service; do
    [ -f "$NTPLITE_BIN/packaging/$u" ] || fail "$u not configured in $NTPLITE_BIN/packaging"
    sed -e "s|^ExecStart=[^ ]*/ntpd-lite |ExecStart=$NTPD |" \
        -e "s|^ExecStart=[^ ]*/ntpq-lite |ExecStart=$NTPQ |" "$NTPLITE_BIN/packaging/$u" > "$T/units/$u"
done
grep -q "^Type=notify$" "$T/units/ntpd-lite.service" || fail "ntpd-lite.service is not Type=notify"
for key in RuntimeDirectory=ntpd-lite StateDirectory=ntpd-lite Before=time-sync.target \
    Wants=time-sync.target "Conflicts=chrony.service" ProtectSystem=strict NoNewPrivileges=yes \
    "CapabilityBoundingSet=CAP_SYS_TIME CAP_NET_BIND_SERVICE" "SystemCallFilter=@system-service @clock" \
    MemoryDenyWriteExecute=yes WatchdogSec=; do
    grep -q "^$key" "$T/units/ntpd-lite.service" || fail "ntpd-lite.service lacks $key"
done
grep -q "^ExecStart=.*ntpq-lite waitsync" "$T/units/ntpd-lite-wait.service" || fail "wait unit does not use waitsync"
(cd "$T/units" && systemd-analyze verify --man=no ./ntpd-lite.service ./ntpd-lite-wait.service) \
    > "$T/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify.log")"
[ ! -s "$T/verify.log" ] || fail "systemd-analyze verify printed: $(cat "$T/verify.log")"
pass "systemd-analyze verify: both units clean"

for u in ntpd-lite.service ntpd-lite-wait.service; do
    (cd "$T/units" && systemd-analyze security --offline=true --no-pager "./$u") > "$T/security-$u.log" 2>&1 || true
    score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' "$T/security-$u.log")
    [ -n "$score" ] || fail "no security score for $u: $(tail -3 "$T/security-$u.log")"
    # The daemon must start as root to bind port 123 and open the clock, which costs ~1 point;
    # anything above 4.0 means a hardening directive was lost.
    python3 -c "import sys; sys.exit(0 if float('$score') <= 4.0 else 1)" || fail "$u exposure $score > 4.0"
    pass "systemd-analyze security $u: exposure $score"
done

# Man pages: built from scdoc, rendered by man, exit statuses as in --help.
for page in ntpd-lite.8 ntpq-lite.1 ntpd-lite.toml.5; do
    f="$NTPLITE_BIN/man/$page"
    [ -s "$f" ] || fail "$page not built (scdoc missing?)"
    MANWIDTH=80 man -l "$f" > "$T/$page.txt" 2> "$T/$page.err" || fail "man -l $page: $(cat "$T/$page.err")"
    [ ! -s "$T/$page.err" ] || fail "man -l $page warned: $(cat "$T/$page.err")"
    grep -q "^NAME" "$T/$page.txt" || fail "$page has no NAME section"
done
"$NTPD" --help | sed -n 's/^  \([0-9][0-9]*\)   .*/\1/p' > "$T/codes"
[ "$(wc -l < "$T/codes")" -ge 6 ] || fail "--help lists too few exit statuses"
sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$T/ntpd-lite.8.txt" > "$T/exit.txt"
while read -r c; do
    grep -Eq "^ +$c\$" "$T/exit.txt" || fail "ntpd-lite(8) does not document exit status $c"
done < "$T/codes"
grep -q "SIGHUP" "$T/ntpd-lite.8.txt" || fail "ntpd-lite(8) does not document SIGHUP"
grep -q "Reload:" "$T/ntpd-lite.toml.5.txt" || fail "ntpd-lite.toml(5) does not say what a reload applies"
pass "man -l renders ntpd-lite(8), ntpq-lite(1), ntpd-lite.toml(5); every exit status of --help is documented"
