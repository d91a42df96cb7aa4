#!/bin/sh
# Issue 6, scenario 5: interop with chrony downstream.
#   u: ntpd-lite at [local] stratum 1 -> s: ntpd-lite synchronized to u (stratum 2)
#   -> k: Debian's chronyd (-x, CAP_SYS_TIME dropped) with s as its only server.
# chronyd must select s (`chronyc -c sources` state `*`) and report stratum = s's + 1 in
# `chronyc -c tracking`, with s's address as its reference.
. "$NTPLITE_SRC/tests/netns/netns.sh"

netns_init
netns_host u 1
netns_host s 2
netns_host k 3
netns_host c 100

t0=$(now_s)
ns_ntpd u u "[local]
stratum = 1
$(srv_table "$IP_u:123")"
ns_ntpd s s "$(src_table "$IP_u")
$(srv_table "$IP_s:123")"
wait_for 60 "s synchronized to u" ns_serving c "$IP_s" 2 "$IP_u"
measured "ntp-lite s first selection" "$(elapsed_since "$t0")"
s_stratum=$(sample probe stratum)

tk=$(now_s)
ns_chronyd k k "port 0
server $IP_s iburst minpoll 0 maxpoll 1"
chrony_selected() {
    ns_chronyc k sources > "$T/sources.csv" 2>/dev/null || return 1
    grep -q "^\^,\*,$IP_s," "$T/sources.csv"
}
wait_for 60 "chronyd selects ntp-lite ($IP_s)" chrony_selected
measured "chronyd selects ntp-lite (from chronyd start)" "$(elapsed_since "$tk")"
pass "chronyc sources: $(cat "$T/sources.csv")"

# chronyd's own stratum and reference (CSV: refid hex, reference name, stratum, ...).
tracking_ok() {
    ns_chronyc k tracking > "$T/tracking.csv" 2>/dev/null || return 1
    [ "$(cut -d, -f2 "$T/tracking.csv")" = "$IP_s" ] &&
        [ "$(cut -d, -f3 "$T/tracking.csv")" = $((s_stratum + 1)) ]
}
wait_for 20 "chronyd tracks $IP_s at stratum $((s_stratum + 1))" tracking_ok
pass "chronyc tracking: reference $(cut -d, -f2 "$T/tracking.csv"), stratum $(cut -d, -f3 "$T/tracking.csv") = ntp-lite's $s_stratum + 1"
