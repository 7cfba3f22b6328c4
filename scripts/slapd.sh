#!/usr/bin/env bash
# A throwaway OpenLDAP directory on loopback, for the tests:
# `scripts/slapd.sh start DIR` writes DIR/slapd.conf (suffix dc=example,dc=com,
# rootdn cn=admin,dc=example,dc=com with the password in DIR/rootpw), loads
# DIR/seed.ldif, starts slapd with DIR/tls.crt and DIR/tls.key (made by the
# tests' own CA) on two free ports and prints "ldap://127.0.0.1:P ldaps://127.0.0.1:Q".
# `scripts/slapd.sh stop DIR` stops it. Uses Debian's slapd (package slapd).
set -euo pipefail
cmd="${1:?start|stop}"
dir="${2:?directory}"
slapd="$(command -v slapd || echo /usr/sbin/slapd)"
slapadd="$(command -v slapadd || echo /usr/sbin/slapadd)"
[ -x "$slapd" ] || { echo "OpenLDAP is not installed (Debian packages slapd ldap-utils)" >&2; exit 1; }
case "$cmd" in
  start)
    dir="$(cd "$dir" && pwd)"
    mkdir -p "$dir/db"
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
    plain="$(free_port)"; tls="$(free_port)"
    while [ "$tls" = "$plain" ]; do tls="$(free_port)"; done
    cat >"$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile $dir/tls.crt
TLSCertificateKeyFile $dir/tls.key
database mdb
maxsize 10485760
suffix "dc=example,dc=com"
rootdn "cn=admin,dc=example,dc=com"
rootpw $(cat "$dir/rootpw")
directory $dir/db
CONF
    if [ ! -f "$dir/db/data.mdb" ]; then
      "$slapadd" -f "$dir/slapd.conf" -l "$dir/seed.ldif" >"$dir/slapadd.log" 2>&1 \
        || { cat "$dir/slapadd.log" >&2; exit 1; }
    fi
    "$slapd" -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$plain/ ldaps://127.0.0.1:$tls/" >"$dir/slapd.log" 2>&1 \
      || { cat "$dir/slapd.log" >&2; exit 1; }
    for _ in $(seq 100); do
      [ -s "$dir/slapd.pid" ] && break
      sleep 0.05
    done
    [ -s "$dir/slapd.pid" ] || { echo "slapd did not start" >&2; cat "$dir/slapd.log" >&2; exit 1; }
    echo "ldap://127.0.0.1:$plain ldaps://127.0.0.1:$tls"
    ;;
  stop)
    if [ -s "$dir/slapd.pid" ]; then
      pid="$(cat "$dir/slapd.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
      rm -f "$dir/slapd.pid"
    fi
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
