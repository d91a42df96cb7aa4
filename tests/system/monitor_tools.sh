# Sourced by the monitoring system tests (after lib.sh): real third-party tools unpacked from
# Debian packages without installing them (ntpsec conflicts with chrony; prometheus would bring a
# service). Cached in $NTPLITE_TOOLS_CACHE so a CI machine downloads them once.
#   ensure_ntpsec   -> sets NTPSEC_ROOT ($NTPSEC_ROOT/usr/sbin/ntpd, .../usr/bin/ntpq) and
#                      makes sure python3-ntp (ntpq's library, coexists with chrony) is installed
#   ensure_promtool -> sets PROMTOOL
: "${NTPLITE_TOOLS_CACHE:=/var/tmp/ntplite-test-tools}"

# _unpack PACKAGE DIR: apt-get download + dpkg-deb -x into DIR (once).
_unpack() {
    mkdir -p "$2"
    # Tests run in parallel: one unpacks, the others wait for it.
    (
        flock 9
        [ -d "$2/root" ] && exit 0
        rm -rf "$2/root.tmp"
        (cd "$2" && apt-get download "$1" > download.log 2>&1) || exit 1
        dpkg-deb -x "$2"/"$1"_*.deb "$2/root.tmp" && mv "$2/root.tmp" "$2/root"
    ) 9> "$2.lock" || fail "apt-get download / unpack of $1 failed: $(tail -n 3 "$2/download.log")"
}

ensure_ntpsec() {
    _unpack ntpsec "$NTPLITE_TOOLS_CACHE/ntpsec"
    NTPSEC_ROOT="$NTPLITE_TOOLS_CACHE/ntpsec/root"
    if ! dpkg-query -W -f='${Status}' python3-ntp 2>/dev/null | grep -q "install ok installed"; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y python3-ntp > "$T/apt-python3-ntp.log" 2>&1 ||
            fail "apt-get install python3-ntp failed"
    fi
    [ -x "$NTPSEC_ROOT/usr/sbin/ntpd" ] || fail "ntpsec unpack incomplete"
    NTPQ_REAL="/usr/bin/python3 $NTPSEC_ROOT/usr/bin/ntpq"
}

ensure_promtool() {
    if command -v promtool > /dev/null; then PROMTOOL=$(command -v promtool); return 0; fi
    _unpack prometheus "$NTPLITE_TOOLS_CACHE/prometheus"
    PROMTOOL="$NTPLITE_TOOLS_CACHE/prometheus/root/usr/bin/promtool"
    [ -x "$PROMTOOL" ] || fail "promtool not found in the prometheus package"
}

# wait_synced HOST PORT SECONDS: until `ntpq-lite status` says synchronized (exit 0).
wait_synced() {
    i=0
    while ! "$NTPQ" status --host "$1" --port "$2" -t 0.5 > /dev/null 2>&1; do
        i=$((i+1)); [ $i -lt $(($3 * 2)) ] || fail "ntpd-lite at $1:$2 not synchronized within $3 s: $("$NTPQ" status --host "$1" --port "$2" 2>&1)"
        sleep 0.5
    done
}
