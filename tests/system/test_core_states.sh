#!/bin/sh
# Issue 10, on the real daemon (observe mode, CAP_SYS_TIME dropped), against scripted loopback
# responders (tests/system/falseticker_responder.py with --offset 0: this machine's clock):
#  1. leap from one source: the system peer (stratum 1) announces LI=1, two stratum-2 sources
#     say LI=0 -> clients are served LI=0 (today is not the end of June/December either);
#  2. no hopping: three equally good sources polled every second for 45 s (about as many polls as 50 min
#     at 64 s) -> at most a handful of system-peer changes;
#  3. holdover, then the [local] fallback, reported as such in the log and on the wire.
. "$NTPLITE_SRC/tests/system/lib.sh"

responder() {  # ADDRESS PORT STRATUM LEAP LIFETIME
    python3 "$NTPLITE_SRC/tests/system/falseticker_responder.py" --address "$1" --port "$2" \
        --offset 0 --stratum "$3" --leap "$4" --lifetime "$5" > "$T/resp-$1.log" 2>&1 &
    _PIDS="$_PIDS $!"
    eval "RESP_$(echo "$1" | tr . _)=$!"
    wait_udp_port "$1" "$2"
}
sources() {  # ADDRESS... (port 13210 each)
    for a in "$@"; do
        printf '[[source]]\naddress = "%s:13210"\niburst = true\nminpoll = 0\nmaxpoll = 0\n\n' "$a"
    done
}
served() {  # ADDRESS:PORT -> "leap stratum" as ntpq-lite query reads them
    "$NTPQ" query "$1" --json > "$T/q.json" 2>/dev/null
    json_get "$T/q.json" 'str(j["samples"][0]["leap"]) + " " + str(j["samples"][0]["stratum"])'
}

# ---- 1. leap from one source -----------------------------------------------------------------
responder 127.0.0.21 13210 1 1 40
responder 127.0.0.22 13210 2 0 40
responder 127.0.0.23 13210 2 0 40
start_ntpd_lite "
[[server]]
listen = \"127.0.0.24:13211\"
threads = 1

$(sources 127.0.0.21 127.0.0.22 127.0.0.23)
[clock]
mode = \"observe\"
" leap
LOG="$T/leap.log"
wait_log "sync: synchronized to 127.0.0.21:13210" 30
sleep 3
grep -q "leap second: announcing insert" "$LOG" && fail "a leap second was announced"
"$NTPQ" query 127.0.0.24:13211 --json > "$T/leap.json" || fail "ntpd-lite does not answer"
leap=$(json_get "$T/leap.json" 'j["samples"][0]["leap"]')
stratum=$(json_get "$T/leap.json" 'j["samples"][0]["stratum"]')
echo "served: leap=$leap stratum=$stratum"
[ "$stratum" = 2 ] || fail "expected stratum 2 (the stratum-1 system peer + 1), got $stratum"
case "$leap" in 0|none|"no warning"|None) ;; *) fail "served leap $leap, want none" ;; esac
pass "the system peer's LI=1 is outvoted: clients see no leap second"
kill "$NTPD_PID"; wait "$NTPD_PID" 2>/dev/null

# ---- 2. no hopping among equals, then 3. holdover and local fallback ---------------------------
responder 127.0.0.31 13210 2 0 150
responder 127.0.0.32 13210 2 0 150
responder 127.0.0.33 13210 2 0 150
start_ntpd_lite "
[[server]]
listen = \"127.0.0.34:13211\"
threads = 1

$(sources 127.0.0.31 127.0.0.32 127.0.0.33)
[local]
stratum = 9

[clock]
mode = \"observe\"
holdover = 8.0
" equal
LOG="$T/equal.log"
wait_log "sync: synchronized to" 30
sleep 45
changes=$(grep -c "sync: synchronized to" "$LOG")
echo "MEASURED system-peer selections in 45 s of 1 s polls (3 equal sources): $changes"
[ "$changes" -le 3 ] || fail "$changes selections: the system peer hops"
pass "equal sources do not take turns ($changes selection(s) in 45 polls each)"

kill "$RESP_127_0_0_31" "$RESP_127_0_0_32" "$RESP_127_0_0_33"
wait_log "sync: holdover .all-unreachable." 15
st=$("$NTPQ" query 127.0.0.34:13211 --json > "$T/h.json" 2>/dev/null; json_get "$T/h.json" 'j["samples"][0]["stratum"]')
[ "$st" = 3 ] || fail "holdover should keep serving stratum 3, got $st"
pass "holdover is reported as holdover and still serves stratum 3"
wait_log "not synchronized .all-unreachable.: serving the .local. fallback at stratum 9" 20
st=$("$NTPQ" query 127.0.0.34:13211 --json > "$T/l.json" 2>/dev/null; json_get "$T/l.json" 'j["samples"][0]["stratum"]')
[ "$st" = 9 ] || fail "local fallback should serve stratum 9, got $st"
grep -q "not synchronized (all-unreachable): serving the .local. fallback" "$LOG" \
    || fail "the fallback line does not say why"
pass "after holdover the [local] fallback is reported as such (stratum 9, reason all-unreachable)"
