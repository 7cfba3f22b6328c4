#!/usr/bin/env bash
# The directory of the end-to-end tests: `scripts/e2e_directory.sh start DIR
# DATA_DIR` makes a test CA and slapd's certificate with openssl in DIR,
# writes a directory (a service account, the source document's person
# saiacano, an administrators group), starts it with scripts/slapd.sh and
# points the scheduler whose data directory is DATA_DIR at it (StartTLS,
# the test CA, uid filter, JID $uid$@example.com). `stop DIR` stops slapd.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cmd="${1:?start|stop}"
dir="${2:?directory}"
case "$cmd" in
  start)
    data="${3:?DATA_DIR of the scheduler}"
    server="${SERVER_BIN:?SERVER_BIN names the scheduler binary}"
    mkdir -p "$dir" "$data"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=End-to-end directory CA" \
      -keyout "$dir/ca.key" -out "$dir/ca.pem" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=slapd" -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
    openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 2 -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>/dev/null
    openssl rand -hex 16 >"$dir/rootpw"
    service_pw="$(openssl rand -hex 16)"
    cat >"$dir/seed.ldif" <<LDIF
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=services,dc=example,dc=com
objectClass: organizationalUnit
ou: services

dn: ou=groups,dc=example,dc=com
objectClass: organizationalUnit
ou: groups

dn: cn=scheduler,ou=services,dc=example,dc=com
objectClass: person
objectClass: simpleSecurityObject
cn: scheduler
sn: scheduler
userPassword: $service_pw

dn: uid=saiacano,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: saiacano
cn: Saiacano
sn: acano
givenName: Sai
displayName: Sai acano
mail: saiacano@example.com
userPassword: ${E2E_DIRECTORY_PASSWORD:-sai directory pw}

dn: cn=scheduler-admins,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: scheduler-admins
member: cn=scheduler,ou=services,dc=example,dc=com
LDIF
    urls="$("$here/slapd.sh" start "$dir")"
    plain="${urls%% *}"
    cp "$dir/ca.pem" "$data/ldap-ca.pem"
    printf '%s' "$service_pw" >"$data/ldap.pw"
    chmod 600 "$data/ldap.pw"
    s() { "$server" scheduler --data-dir "$data" "$@" >/dev/null; }
    s ldap server "$plain"
    s ldap trust ldap-ca.pem
    s ldap bind "cn=scheduler,ou=services,dc=example,dc=com"
    s ldap password-file ldap.pw
    s ldap base "dc=example,dc=com"
    s ldap filter '(&(objectClass=inetOrgPerson)(uid=$))'
    s ldap attributes displayName mail
    s ldap jid '$uid$@example.com'
    s ldap admins "cn=scheduler-admins,ou=groups,dc=example,dc=com"
    echo "$plain"
    ;;
  stop) "$here/slapd.sh" stop "$dir" ;;
  *) echo "usage: $0 start DIR DATA_DIR | stop DIR" >&2; exit 2 ;;
esac
