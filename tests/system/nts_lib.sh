# NTS test fixtures (sourced after lib.sh): a throw-away CA and certificates made with the
# openssl CLI in $T. Names are never resolved through the system resolver: certificates carry
# SAN IP:127.0.0.1 (the address the tests connect to) and a DNS name that is only ever checked,
# not looked up.
#   $T/ca.pem            the test CA            $T/other-ca.pem     an unrelated CA
#   $T/server.pem/.key   127.0.0.1 + ntp.test   (signed by ca)
#   $T/expired.pem/.key  same names, validity ended in 2021 (signed by ca)
#   $T/wrongca.pem/.key  same names, signed by other-ca
#   $T/othername.pem/.key  only IP:127.0.0.9 + other.test (signed by ca)

make_test_pki() {
    (
        cd "$T"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
            -subj "/CN=ntp-lite test CA" -keyout ca.key -out ca.pem 2>/dev/null
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
            -subj "/CN=ntp-lite other CA" -keyout other-ca.key -out other-ca.pem 2>/dev/null
        mkdir -p ca.db && : > ca.db/index && echo 1000 > ca.db/serial
        cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = $T/ca.db/index
serial = $T/ca.db/serial
new_certs_dir = $T/ca.db
default_md = sha256
policy = anything
copy_extensions = copy
[anything]
commonName = supplied
CNF
        leaf() {  # leaf NAME CA SAN [extra ca args...]
            name=$1 ca=$2 san=$3; shift 3
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -subj "/CN=$name" -addext "subjectAltName=$san" \
                -addext "extendedKeyUsage=serverAuth" -keyout "$name.key" -out "$name.csr" \
                2>/dev/null
            openssl ca -batch -config ca.cnf -cert "$ca.pem" -keyfile "$ca.key" -in "$name.csr" \
                -out "$name.pem" -notext "$@" 2>/dev/null
        }
        leaf server ca "IP:127.0.0.1,DNS:ntp.test" -days 2
        leaf expired ca "IP:127.0.0.1,DNS:ntp.test" -startdate 20200101000000Z \
            -enddate 20210101000000Z
        leaf wrongca other-ca "IP:127.0.0.1,DNS:ntp.test" -days 2
        leaf othername ca "IP:127.0.0.9,DNS:other.test" -days 2
        chmod 644 ./*.key
    ) || fail "could not make the test certificates"
    [ -s "$T/server.pem" ] && [ -s "$T/expired.pem" ] && [ -s "$T/wrongca.pem" ] ||
        fail "test certificates missing"
}

# wait_tcp_port ADDR PORT: until a TCP listener is there (max 5 s).
wait_tcp_port() {
    i=0
    while ! ss -Hltn "src $1:$2" 2>/dev/null | grep -q .; do
        i=$((i+1)); [ $i -lt 50 ] || fail "nothing listening on tcp $1:$2"
        sleep 0.1
    done
}

# start_chronyd_nts_client NAME NTP_PORT KE_PORT CA: chronyd (never touching the clock) polling
# 127.0.0.1 over NTS; its command socket is $T/NAME.sock (chronyc -h $T/NAME.sock).
start_chronyd_nts_client() {
    name=$1 ntp_port=$2 ke_port=$3 ca=$4
    mkdir -p "$T/$name-dump"
    cat > "$T/$name.conf" <<CONF
port 0
server 127.0.0.1 port $ntp_port nts ntsport $ke_port iburst minpoll 0 maxpoll 2
ntstrustedcerts $ca
nosystemcert
ntsdumpdir $T/$name-dump
cmdport 0
bindcmdaddress $T/$name.sock
pidfile $T/$name.pid
CONF
    # -u root: the test's files are private to root; CAP_SYS_TIME is dropped all the same.
    $DROP_TIME --inh-caps=-sys_time chronyd -u root -x -d -f "$T/$name.conf" > "$T/$name.log" 2>&1 &
    _PIDS="$_PIDS $!"
}

# start_chronyd_nts_server NAME NTP_PORT KE_PORT CERT KEY: chronyd serving its own clock at
# stratum 10 with NTS.
start_chronyd_nts_server() {
    name=$1 ntp_port=$2 ke_port=$3 cert=$4 key=$5
    mkdir -p "$T/$name-dump"
    cat > "$T/$name.conf" <<CONF
port $ntp_port
bindaddress 127.0.0.1
local stratum 10
allow 127.0.0.1
ntsservercert $cert
ntsserverkey $key
ntsport $ke_port
ntsdumpdir $T/$name-dump
ntsprocesses 0
cmdport 0
bindcmdaddress $T/$name.sock
pidfile $T/$name.pid
CONF
    $DROP_TIME --inh-caps=-sys_time chronyd -u root -x -d -f "$T/$name.conf" > "$T/$name.log" 2>&1 &
    _PIDS="$_PIDS $!"
    wait_udp_port 127.0.0.1 "$ntp_port"
    wait_tcp_port 127.0.0.1 "$ke_port"
}

# chrony_serverstat SOCK FIELD: one line of `chronyc serverstats` ("NTS-KE connections accepted",
# "Authenticated NTP packets", "NTP packets received"), its number.
chrony_serverstat() {
    chronyc -h "$1" serverstats | sed -n "s/^$2 *: *\([0-9]*\).*/\1/p"
}
