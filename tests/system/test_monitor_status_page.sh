#!/bin/sh
# Issue 12, the status page in a real browser: ntpd-lite (observe mode) follows a loopback chronyd
# and also has a source that never answers. Headless Chromium loads http://.../ from the metrics
# listener; the test checks the rendered DOM (the state sentence, one row per source with its
# state, each chart's SVG path) and saves a screenshot ($NTPLITE_ARTIFACTS/status-page.png, CI
# collects it: see scripts/test.sh). docs/status-page.png is the committed copy for the README.
# /api/snapshot must be the control socket's JSON; the page must reference no external asset.
. "$NTPLITE_SRC/tests/system/lib.sh"
. "$NTPLITE_SRC/tests/system/monitor_tools.sh"

command -v chromium > /dev/null || fail "chromium is not installed (scripts/setup.sh installs it)"
UP=127.0.0.1; UP_PORT=14150      # chronyd
DEAD=127.0.0.1; DEAD_PORT=14159  # nothing listens here
ME=127.0.0.24; ME_PORT=14151     # ntpd-lite
METRICS=127.0.0.24:14152
SOCK="$T/control.sock"

start_chronyd_server $UP_PORT $UP 10
start_ntpd_lite "
[[server]]
listen = \"$ME:$ME_PORT\"
threads = 1

[[source]]
mode = \"server\"
address = \"$UP:$UP_PORT\"
iburst = true
minpoll = 0
maxpoll = 0

[[source]]
mode = \"server\"
address = \"$DEAD:$DEAD_PORT\"
minpoll = 0
maxpoll = 0

[control]
socket = \"$SOCK\"

[metrics]
listen = \"$METRICS\"

[clock]
mode = \"observe\"
" ntpd
wait_udp_port $ME $ME_PORT
wait_synced $ME $ME_PORT 30
sleep 3   # a few more clock updates: the charts get several points

fetch() { python3 -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }
fetch "http://$METRICS/" > "$T/page.html" || fail "GET / failed"
# Self-contained: no script, no external stylesheet/image/font.
! grep -qi '<script' "$T/page.html" || fail "the page has a script"
! grep -qiE '(src|href)="https?://' "$T/page.html" || fail "the page references an external asset"
! grep -qi '<link' "$T/page.html" || fail "the page links an external resource"
fetch "http://$METRICS/api/snapshot" > "$T/api.json" || fail "GET /api/snapshot failed"
[ "$(json_get "$T/api.json" 'j["schema"]')" = "ntpd-lite.snapshot/1" ] || fail "/api/snapshot schema"
[ "$(json_get "$T/api.json" 'len(j["sources"])')" = 2 ] || fail "/api/snapshot: not 2 sources"

# The browser: a fresh profile, no network beyond loopback, nothing persisted.
PROFILE="$T/chromium-profile"; mkdir -p "$PROFILE"
chrome() {
    HOME="$T" timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$PROFILE" "$@" 2>> "$T/chromium.log"
}
chrome --dump-dom "http://$METRICS/" > "$T/dom.html" || fail "chromium --dump-dom failed"
python3 - "$T/dom.html" "$UP:$UP_PORT" "$DEAD:$DEAD_PORT" <<'PY' || fail "rendered DOM check"
import sys, html.parser
dom = open(sys.argv[1]).read()
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.stack=[]; s.state=""; s.rows=[]; s.paths={}; s.svg=None; s.in_row=None
    def handle_starttag(s, tag, a):
        a=dict(a); s.stack.append((tag,a))
        if tag=="svg": s.svg=a.get("id")
        if tag=="path" and s.svg and "series" in a.get("class",""): s.paths[s.svg]=a.get("d","")
        if tag=="tr" and "source" in a.get("class","").split(): s.in_row=[]; s.rows.append(s.in_row)
    def handle_endtag(s, tag):
        if tag=="svg": s.svg=None
        if tag=="tr": s.in_row=None
        while s.stack and s.stack.pop()[0]!=tag: pass
    def handle_data(s, d):
        if any(a.get("id")=="state" for _,a in s.stack): s.state+=d
        if s.in_row is not None and d.strip(): s.in_row.append(d.strip())
p=P(); p.feed(dom)
print("state:", p.state); print("rows:", p.rows); print("paths:", {k: v[:40] for k,v in p.paths.items()})
assert p.state.startswith("synchronized to " + sys.argv[2]), p.state
assert len(p.rows)==2, p.rows
by={r[0]: r for r in p.rows}
assert by[sys.argv[2]][1]=="selected", by
assert by[sys.argv[3]][1] in ("no-sample","unreachable"), by
for c in ("chart-offset","chart-jitter","chart-frequency"):
    d=p.paths.get(c,"")
    assert d.startswith("M") and d.count("L")>=1, (c, d)
PY
mkdir -p "$NTPLITE_ARTIFACTS"
chrome --screenshot="$T/status-page.png" --window-size=1100,1400 --hide-scrollbars \
    "http://$METRICS/" > /dev/null || fail "chromium --screenshot failed"
[ "$(head -c 8 "$T/status-page.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "the screenshot is not a PNG"
cp "$T/status-page.png" "$NTPLITE_ARTIFACTS/status-page.png" || fail "cannot save the screenshot"
pass "status page rendered by Chromium: state, 2 source rows, 3 charts (screenshot: $NTPLITE_ARTIFACTS/status-page.png)"
