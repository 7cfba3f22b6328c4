#!/usr/bin/env bash
# Test (b) of the Debian package: installs it into a throwaway root with
# dpkg (`dpkg --root --force-script-chrootless`: the maintainer scripts run
# for real, on that root through $DPKG_ROOT), then does there what
# docs/install.md tells an administrator to do, its commands run in a chroot
# of that root (a few of this host's tools copied in: bash, coreutils,
# runuser with its PAM modules), and starts the installed binary the way
# the installed unit says (its User, WorkingDirectory, UMask and ExecStart;
# no capability, no new privileges, the root read-only but the data
# directory, a private /tmp: ProtectSystem=strict and the rest emulated with
# a mount namespace, since no systemd runs here). Against it:
# `cms-scheduler simulators` as the CMS (a Call Bridge and three web
# bridges), slapd as the directory (scripts/e2e_directory.sh), aiosmtpd as
# the mail server. Checked: /healthz, the site's assets and pages, the
# HTTPS listener, C2W links, a directory sign-in, an administrator, an
# invitation mailed, /metrics, a backup; then an upgrade that keeps the
# configuration and the data, a remove that keeps them, a purge that
# deletes the data. Needs root (chroot, mounts, owners).
#
#   tests/package/install.sh [DEB]     (default: scripts/package.sh --debug)
source "$(dirname "$0")/common.sh"

[ "$(id -u)" = 0 ] || { echo "tests/package/install.sh needs root: chroot, mount namespaces, file owners" >&2; exit 1; }
for tool in unshare chroot setpriv runuser openssl curl slapd; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || { echo "$tool is missing" >&2; exit 1; }
done

deb="$(package_under_test "${1:-}")"
work="$(mktemp -d)"
R="$work/root"
service_pid=""
helper_pids=()
ldap_dir="$work/ldap"
cleanup() {
  [ -z "$service_pid" ] || { kill "$service_pid" 2>/dev/null; wait "$service_pid" 2>/dev/null; }
  for p in "${helper_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${helper_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ ! -f "$ldap_dir/slapd.pid" ] || "$ROOT/scripts/e2e_directory.sh" stop "$ldap_dir" || true
  # Nothing is mounted outside the service's own mount namespace.
  rm -rf "$work"
}
trap cleanup EXIT
say "installing $deb into a throwaway root $R"

# --- the throwaway root ------------------------------------------------------
# A merged-/usr tree like a Debian 12 host's, an empty dpkg database, root
# alone in the user databases, the devices PrivateDevices= would give.
mkdir -p "$R"/usr/{bin,sbin,lib,lib64} "$R"/{etc,tmp,proc,dev,run,root} "$R"/var/lib/dpkg/{info,updates,triggers}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$R/$d"; done
chmod 1777 "$R/tmp"
chmod 0700 "$R/root"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
echo 'root:x:0:0:root:/root:/bin/bash' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
echo 'root:*:20000:0:99999:7:::' >"$R/etc/shadow"
echo 'root:*::' >"$R/etc/gshadow"
chmod 0640 "$R/etc/shadow" "$R/etc/gshadow"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$R/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$R/etc/hosts"
for node in null:3 zero:5 random:8 urandom:9; do mknod -m 0666 "$R/dev/${node%:*}" c 1 "${node#*:}"; done

# copy_in FILE...: host files (programs, libraries) and the libraries they need.
copy_in() {
  local f lib
  for f in "$@"; do
    [ -e "$R$f" ] || { mkdir -p "$R$(dirname "$f")" && cp -L "$f" "$R$f"; }
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
      [ -e "$R$lib" ] || { mkdir -p "$R$(dirname "$lib")" && cp -L "$lib" "$R$lib"; }
    done
  done
}
for tool in bash cat cp date install ls mkdir chmod chown id env runuser setpriv nologin; do
  copy_in "$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$tool")"
done
# runuser's PAM stack (/etc/pam.d/runuser: pam_rootok, pam_keyinit, pam_limits, pam_unix).
pam_dir="$(dirname "$(find /lib /usr/lib -name pam_rootok.so -print -quit)")"
for m in pam_rootok pam_keyinit pam_limits pam_unix; do copy_in "$pam_dir/$m.so"; done
mkdir -p "$R/etc/pam.d" "$R/etc/security"
cp /etc/pam.d/runuser "$R/etc/pam.d/runuser"
cp /etc/security/limits.conf "$R/etc/security/limits.conf"
cp /etc/login.defs "$R/etc/login.defs"

# in_root COMMAND: a root shell on the installed host (the chroot).
in_root() {
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    chroot "$R" /bin/bash -c "set -euo pipefail; $1"
}
dpkg_root() { dpkg --root="$R" --force-script-chrootless --force-depends "$@"; }

host_passwd="$(sha256sum /etc/passwd /etc/group)"

# --- install -------------------------------------------------------------------
check "dpkg -i installs the package (maintainer scripts on the throwaway root)" dpkg_root -i "$deb"
version="$(dpkg-deb -f "$deb" Version)"
# The package's Depends (libc6, libgcc-s1) as this host has them.
for program in $(dpkg-query --root="$R" -L cms-scheduler | grep '^/usr/bin/'); do
  for lib in $(ldd "$R$program" 2>/dev/null | grep -o '/[^ ]*' || true); do
    [ -e "$R$lib" ] || { mkdir -p "$R$(dirname "$lib")" && cp -L "$lib" "$R$lib"; }
  done
done
same "dpkg: the package is installed" "install ok installed $version" \
  "$(dpkg-query --root="$R" -W -f '${Status} ${Version}' cms-scheduler 2>&1)"
same "this host's own users and groups were not touched" "$host_passwd" "$(sha256sum /etc/passwd /etc/group)"

entry="$(awk -F: '$1 == "cms-scheduler"' "$R/etc/passwd")"
uid="$(cut -d: -f3 <<<"$entry")"
gid="$(awk -F: '$1 == "cms-scheduler" { print $3 }' "$R/etc/group")"
check "postinst made the cms-scheduler system user ($entry)" test -n "$uid" -a -n "$gid"
check "it is a system user (uid below 1000)" test "${uid:-1000}" -lt 1000
same "its home is the data directory, its shell nologin" "/var/lib/cms-scheduler /usr/sbin/nologin" \
  "$(cut -d: -f6,7 <<<"$entry" | tr : ' ')"
check "it has no password (locked in shadow)" grep -Eq '^cms-scheduler:(!|\*|!\*):' "$R/etc/shadow"
same "the data directory is the user's, mode 0750" "$uid:$gid 750" "$(stat -c '%u:%g %a' "$R/var/lib/cms-scheduler")"
same "the configuration is root's, readable by the service's group, mode 0640" "0:$gid 640" \
  "$(stat -c '%u:%g %a' "$R/etc/cms-scheduler/cms-scheduler.toml")"
same "the unit is enabled (multi-user.target wants it)" /lib/systemd/system/cms-scheduler.service \
  "$(readlink "$R/etc/systemd/system/multi-user.target.wants/cms-scheduler.service")"
check "the binary answers --version in the installed root" in_root "cms-scheduler --version"

# --- the CMS: the simulators ---------------------------------------------------
cb_port="$(free_port)"
cb_password="pkg-test-$(openssl rand -hex 8)"
mkdir -p "$work/sim"
SCHEDULER_CALLBRIDGE_PASSWORD="$cb_password" "$R/usr/bin/cms-scheduler" simulators \
  --data-dir "$work/sim" --listen "127.0.0.1:$cb_port" >"$work/sim.log" 2>&1 &
helper_pids+=($!)
for _ in $(seq 1 100); do [ -f "$work/sim/demo-pki/c2w.key" ] && break; sleep 0.1; done
pki="$work/sim/demo-pki"

# --- docs/install.md, step by step -----------------------------------------------
listen_port="$(free_port)"
https_port="$(free_port)"
metrics_port="$(free_port)"
smtp_port="$(free_port)"

# The Call Bridge API password, readable by the service user only.
in_root "install -m 0600 -o cms-scheduler -g cms-scheduler /dev/null /etc/cms-scheduler/callbridge.password"
in_root "cat >/etc/cms-scheduler/callbridge.password" <<<"$cb_password"
cp "$pki/ca.pem" "$R/root/cms-ca.pem"
in_root "install -m 0644 /root/cms-ca.pem /etc/cms-scheduler/cms-ca.pem"
same "the password file keeps mode 0600 and its owner" "$uid 600" \
  "$(stat -c '%u %a' "$R/etc/cms-scheduler/callbridge.password")"

# The configuration, as the administrator edits it (the commented keys set).
set_key() {
  python3 - "$R/etc/cms-scheduler/cms-scheduler.toml" "$1" "$2" <<'PY'
import re, sys
path, key, value = sys.argv[1:]
text = open(path).read()
line = f"{key} = {value}"
pattern = re.compile(rf"^#? ?{re.escape(key)} = .*$", re.M)
text, n = pattern.subn(line, text, count=1)
if n == 0:
    text += line + "\n"
open(path, "w").write(text)
PY
}
set_key listen "\"127.0.0.1:$listen_port\""
set_key public-url "\"https://scheduler.test:$https_port\""
set_key secure-cookies true
set_key join-base-url '"https://join.example.com"'
set_key callbridge-url "[\"http://127.0.0.1:$cb_port\"]"
set_key callbridge-username '"scheduler"'
set_key callbridge-password-file '"/etc/cms-scheduler/callbridge.password"'
set_key callbridge-trust '"/etc/cms-scheduler/cms-ca.pem"'
set_key metrics-listen "\"127.0.0.1:$metrics_port\""
check "the edited configuration is TOML" python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' \
  "$R/etc/cms-scheduler/cms-scheduler.toml"
cp "$R/etc/cms-scheduler/cms-scheduler.toml" "$work/config-as-edited"

# start_service: what systemd would start, from the installed unit.
unit="$R/lib/systemd/system/cms-scheduler.service"
unit_value() { sed -n "s/^$1=//p" "$unit" | tail -1; }
start_service() {
  local user exec_start workdir mask rw suid sgid
  user="$(unit_value User)"
  exec_start="$(unit_value ExecStart)"
  workdir="$(unit_value WorkingDirectory)"
  mask="$(unit_value UMask)"
  rw="$(unit_value ReadWritePaths)"
  suid="$(awk -F: -v u="$user" '$1 == u { print $3 }' "$R/etc/passwd")"
  sgid="$(awk -F: -v u="$user" '$1 == u { print $4 }' "$R/etc/passwd")"
  # ProtectSystem=strict: the root read-only, ReadWritePaths writable;
  # PrivateTmp: a /tmp of its own. Then the unit's user, no capability
  # (CapabilityBoundingSet= empty), NoNewPrivileges.
  unshare --mount --propagation private -- bash -c '
    set -e
    r="$1" rw="$2"
    mount --bind "$r" "$r"
    mount --bind "$r$rw" "$r$rw"
    mount -o remount,bind,ro "$r"
    mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
    mount -t proc proc "$r/proc"
    exec env -i PATH=/usr/sbin:/usr/bin LANG=C.UTF-8 chroot "$r" /bin/bash -c "cd $3 && umask $4 && exec setpriv \
      --reuid=$5 --regid=$6 --clear-groups --no-new-privs --bounding-set=-all --inh-caps=-all -- $7"
  ' _ "$R" "$rw" "$workdir" "$mask" "$suid" "$sgid" "$exec_start" >>"$work/service.log" 2>&1 &
  service_pid=$!
  if ! wait_healthy "http://127.0.0.1:$listen_port" 60; then
    tail -n 30 "$work/service.log" >&2
    return 1
  fi
}
stop_service() {
  [ -n "$service_pid" ] || return 0
  kill "$service_pid" 2>/dev/null || true
  wait "$service_pid" 2>/dev/null || true
  service_pid=""
}
base="http://127.0.0.1:$listen_port"

say "starting the installed service as its unit says"
start_service || true
check "the installed service starts and /healthz answers (as cms-scheduler, no capability, read-only root)" \
  curl -fsS "$base/healthz"
same "the service runs as cms-scheduler with no capability and no_new_privs" "$uid 0000000000000000 1" \
  "$(awk '/^Uid:/ { u = $2 } /^CapEff:/ { c = $2 } /^NoNewPrivs:/ { n = $2 } END { print u, c, n }' "/proc/$service_pid/status" 2>&1 || true)"

check "the service read the installed configuration file" \
  grep -q 'configuration file read.*/etc/cms-scheduler/cms-scheduler.toml' "$work/service.log"

# The site: the page names the hashed assets, which are served compressed.
page="$(curl -fsS "$base/login" || true)"
js="$(sed -n 's/^js: *//p' "$R/usr/share/cms-scheduler/site/hash.txt")"
css="$(sed -n 's/^css: *//p' "$R/usr/share/cms-scheduler/site/hash.txt")"
wasm="$(sed -n 's/^wasm: *//p' "$R/usr/share/cms-scheduler/site/hash.txt")"
check "the sign-in page is served and names the hashed style sheet" grep -q "cms-scheduler.$css.css" <<<"$page"
check "the sign-in page names the hashed script" grep -q "cms-scheduler.$js.js" <<<"$page"
headers() { curl -fsS -o /dev/null -D - "$@" | tr -d '\r'; }
for asset in "$css.css" "$js.js" "$wasm.wasm"; do
  h="$(headers -H 'Accept-Encoding: br' "$base/pkg/cms-scheduler.$asset" || true)"
  check "/pkg/cms-scheduler.$asset is served from the installed site, brotli, immutable" \
    bash -c "grep -qi '^content-encoding: br' <<<\"\$1\" && grep -qi '^cache-control: .*immutable' <<<\"\$1\"" _ "$h"
  check "/pkg/cms-scheduler.$asset is the installed file" cmp <(curl -fsS "$base/pkg/cms-scheduler.$asset") \
    "$R/usr/share/cms-scheduler/site/pkg/cms-scheduler.$asset"
done
check "public/favicon.svg is served" cmp <(curl -fsS "$base/favicon.svg") "$ROOT/public/favicon.svg"

# The administrator's commands run as the service user (runuser) and find
# the data directory through the configuration file.
as_service() { in_root "runuser -u cms-scheduler -- $1"; }
wait_for_status() {
  local deadline=$((SECONDS + ${2:-45})) out
  while :; do
    out="$(as_service "cms-scheduler scheduler status" 2>&1 || true)"
    if grep -Eq "$1" <<<"$out"; then return 0; fi
    if [ "$SECONDS" -ge "$deadline" ]; then echo "$out"; return 1; fi
    sleep 1
  done
}
check "scheduler status (as cms-scheduler, no flags): running, database responsive" \
  wait_for_status '^Running$' 10
check "scheduler status: the Call Bridge simulator UP" \
  wait_for_status "^  callbridge http://127.0.0.1:$cb_port UP" 45

# TLS: the scheduler's own HTTPS listener, and C2W to the web bridges.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Package test CA" \
  -keyout "$work/tls-ca.key" -out "$work/tls-ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=scheduler.test" -keyout "$R/root/scheduler.key" \
  -out "$work/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:scheduler.test\nextendedKeyUsage=serverAuth\n' >"$work/ext.cnf"
openssl x509 -req -in "$work/tls.csr" -CA "$work/tls-ca.pem" -CAkey "$work/tls-ca.key" -CAcreateserial \
  -days 2 -extfile "$work/ext.cnf" -out "$work/tls.crt" 2>/dev/null
cat "$work/tls.crt" "$work/tls-ca.pem" >"$R/root/scheduler-fullchain.pem"
cp "$pki/c2w.key" "$R/root/c2w.key"
cp "$pki/c2w.pem" "$R/root/c2w-fullchain.pem"
cp "$pki/ca.pem" "$R/root/webbridge-ca.pem"
check "the keys and certificates go to /etc/cms-scheduler (install.md)" in_root "
  cd /root
  install -m 0600 -o cms-scheduler -g cms-scheduler scheduler.key c2w.key /etc/cms-scheduler/
  install -m 0644 scheduler-fullchain.pem c2w-fullchain.pem webbridge-ca.pem /etc/cms-scheduler/"
check "scheduler https listen lo <port>" as_service "cms-scheduler scheduler https listen lo $https_port"
check "scheduler https certs" as_service \
  "cms-scheduler scheduler https certs /etc/cms-scheduler/scheduler.key /etc/cms-scheduler/scheduler-fullchain.pem"
check "scheduler c2w certs" as_service \
  "cms-scheduler scheduler c2w certs /etc/cms-scheduler/c2w.key /etc/cms-scheduler/c2w-fullchain.pem"
check "scheduler c2w trust" as_service "cms-scheduler scheduler c2w trust /etc/cms-scheduler/webbridge-ca.pem"
enable_out="$(as_service "cms-scheduler scheduler enable" 2>&1 || true)"
check "scheduler enable: every check SUCCESS" bash -c \
  "grep -q '^SUCCESS: scheduler enabled' <<<\"\$1\" && ! grep -q FAILURE <<<\"\$1\"" _ "$enable_out"
check "scheduler restart" as_service "cms-scheduler scheduler restart"
https="https://scheduler.test:$https_port"
tls_curl() { curl -fsS --cacert "$work/tls-ca.pem" --resolve "scheduler.test:$https_port:127.0.0.1" "$@"; }
check_https() {
  local deadline=$((SECONDS + 20))
  until tls_curl "$https/healthz" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { tls_curl "$https/healthz"; return 1; }
    sleep 0.5
  done
}
check "HTTPS: /healthz over the scheduler's own listener, certificate verified" check_https
check "scheduler status: HTTPS configured" wait_for_status '^HTTPS configured$' 10
check "scheduler status: C2W configured, 3 of 3 web bridges UP" \
  wait_for_status '^C2W configured, 3 of 3 web bridges UP' 45

# An administrator (a local account), signed in over HTTPS (Secure cookies).
admin_password="pkg-admin-$(openssl rand -hex 6)"
check "user add admin ... --admin (as cms-scheduler, the password on standard input)" in_root \
  "runuser -u cms-scheduler -- cms-scheduler user add admin --display-name Administrator --email admin@example.com --admin" \
  <<<"$admin_password"
# sign_in USERNAME PASSWORD JAR: the sign-in form over HTTPS; prints the redirect.
sign_in() {
  local csrf
  csrf="$(tls_curl -c "$3" -b "$3" "$https/login" | python3 -c '
import re, sys
m = re.search(r"name=\"csrf\"[^>]*value=\"([^\"]+)\"|value=\"([^\"]+)\"[^>]*name=\"csrf\"", sys.stdin.read())
print(m.group(1) or m.group(2) if m else "")')"
  tls_curl -c "$3" -b "$3" -o /dev/null -w '%{http_code} %{redirect_url}' \
    --data-urlencode "csrf=$csrf" --data-urlencode "username=$1" --data-urlencode "password=$2" \
    --data-urlencode "next=/" "$https/auth/login"
}
same "the administrator signs in over HTTPS" "303 $https/" "$(sign_in admin "$admin_password" "$work/admin.jar")"
check "the administrator's /admin page lists the Call Bridge and the C2W links" bash -c \
  "page=\$(curl -fsS --cacert '$work/tls-ca.pem' --resolve 'scheduler.test:$https_port:127.0.0.1' -b '$work/admin.jar' '$https/admin') \
   && grep -q '127.0.0.1:$cb_port' <<<\"\$page\""

# The directory: slapd with StartTLS (scripts/e2e_directory.sh makes it and
# its CA), configured with install.md's ldap commands.
mkdir -p "$work/ldap-scratch"
ldap_url="$(SERVER_BIN="$R/usr/bin/cms-scheduler" "$ROOT/scripts/e2e_directory.sh" start "$ldap_dir" "$work/ldap-scratch" || true)"
cp "$ldap_dir/ca.pem" "$R/root/ldap-ca.pem"
cp "$work/ldap-scratch/ldap.pw" "$R/root/ldap.password"
check "the directory's CA and service password go to /etc/cms-scheduler" in_root "
  install -m 0644 /root/ldap-ca.pem /etc/cms-scheduler/ldap-ca.pem
  install -m 0600 -o cms-scheduler -g cms-scheduler /root/ldap.password /etc/cms-scheduler/ldap.password"
while IFS= read -r words; do
  check "scheduler ldap $words" as_service "cms-scheduler scheduler ldap $words"
done <<LDAP
server $ldap_url
trust /etc/cms-scheduler/ldap-ca.pem
bind cn=scheduler,ou=services,dc=example,dc=com
password-file /etc/cms-scheduler/ldap.password
base dc=example,dc=com
filter '(&(objectClass=inetOrgPerson)(uid=\$))'
attributes displayName mail
jid '\$uid\$@example.com'
admins cn=scheduler-admins,ou=groups,dc=example,dc=com
LDAP
same "a directory person signs in (StartTLS, the service account, their bind)" "303 $https/" \
  "$(sign_in saiacano "${E2E_DIRECTORY_PASSWORD:-sai directory pw}" "$work/sai.jar")"
check "their home page greets them by their directory name" bash -c \
  "curl -fsS --cacert '$work/tls-ca.pem' --resolve 'scheduler.test:$https_port:127.0.0.1' -b '$work/sai.jar' '$https/' | grep -q 'Sai acano'"

# Mail: an SMTP server on loopback that requires STARTTLS and AUTH
# (tests/smtp/smtp_sink.py, aiosmtpd), install.md's email commands, then an
# invitation for a meeting made through the REST API.
openssl req -newkey rsa:2048 -nodes -subj "/CN=smtp.test" -keyout "$work/smtp.key" -out "$work/smtp.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/smtp-ext.cnf"
openssl x509 -req -in "$work/smtp.csr" -CA "$work/tls-ca.pem" -CAkey "$work/tls-ca.key" -CAcreateserial \
  -days 2 -extfile "$work/smtp-ext.cnf" -out "$work/smtp.pem" 2>/dev/null
smtp_password="pkg-mail-$(openssl rand -hex 6)"
mkdir -p "$work/mailbox"
python3 "$ROOT/tests/smtp/smtp_sink.py" "$work/mailbox" "$smtp_port" --starttls "$work/smtp.pem" "$work/smtp.key" \
  --auth "scheduler:$smtp_password" >"$work/smtp.log" 2>&1 &
helper_pids+=($!)
cp "$work/tls-ca.pem" "$R/root/mail-ca.pem"
check "the mail server's CA goes to /etc/cms-scheduler" in_root "install -m 0644 /root/mail-ca.pem /etc/cms-scheduler/mail-ca.pem"
check "scheduler email server" as_service "cms-scheduler scheduler email server 127.0.0.1 $smtp_port"
check "scheduler email trust" as_service "cms-scheduler scheduler email trust /etc/cms-scheduler/mail-ca.pem"
check "scheduler email auth enable" as_service "cms-scheduler scheduler email auth enable"
check "scheduler email username (the password from SCHEDULER_EMAIL_PASSWORD)" in_root \
  "SCHEDULER_EMAIL_PASSWORD='$smtp_password' runuser -u cms-scheduler -- cms-scheduler scheduler email username scheduler"
check "scheduler email sender" as_service "cms-scheduler scheduler email sender scheduler@example.com"
check "scheduler email organizerName" as_service "cms-scheduler scheduler email organizerName Meeting Scheduler"
check "scheduler restart (the e-mail settings)" as_service "cms-scheduler scheduler restart"
check "scheduler status: Email server configured" wait_for_status '^Email server configured$' 10
check "user jid admin demo@example.com (the simulator's Call Bridge user)" as_service \
  "cms-scheduler user jid admin demo@example.com"
token="$(as_service "cms-scheduler user token admin --name package-test" || true)"
check "user token admin prints a token" test -n "$token"
template="$(tls_curl -H "Authorization: Bearer $token" "$https/api/v1/templates" \
  | python3 -c 'import json, sys; d = json.load(sys.stdin); d = d.get("templates", d) if isinstance(d, dict) else d; print(d[0]["id"])' || true)"
check "GET /api/v1/templates: the administrator's Call Bridge template" test -n "$template"
start_at="$(date -u -d '+2 days' +%Y-%m-%dT10:00)"
created="$(tls_curl -o "$work/created.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d @- "$https/api/v1/meetings" <<JSON || true
{"name": "Package test", "templateId": "$template", "start": "$start_at", "durationMinutes": 30, "timeZone": "UTC",
 "attendees": [{"email": "guest@example.com", "role": "ExternalAccessMeth"}]}
JSON
)"
same "POST /api/v1/meetings makes a meeting on the simulated Call Bridge" 201 "$created"
wait_for_mail() {
  local deadline=$((SECONDS + 30))
  until grep -lq 'guest@example.com' "$work/mailbox"/*.eml 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 20 "$work/service.log"; return 1; }
    sleep 0.5
  done
}
check "the invitation reaches the SMTP server" wait_for_mail
check "the invitation went over STARTTLS, authenticated, from the configured sender, with the calendar" bash -c \
  "f=\$(grep -l 'guest@example.com' '$work/mailbox'/*.eml | head -1) && grep -q '^X-Sink-TLS: yes' \"\$f\" \
   && grep -q '^X-Sink-Auth: scheduler' \"\$f\" && grep -q '^From: .*scheduler@example.com' \"\$f\" \
   && grep -q 'text/calendar' \"\$f\""

# Monitoring.
check "/metrics on the metrics listener counts HTTP requests" bash -c \
  "curl -fsS http://127.0.0.1:$metrics_port/metrics | grep -q '^scheduler_http_requests_total{'"

check "scheduler timedLogging api 600" as_service "cms-scheduler scheduler timedLogging api 600"

# A backup while the service runs.
check "backups: a directory of the service user's" in_root \
  "install -d -m 0700 -o cms-scheduler -g cms-scheduler /var/backups/cms-scheduler"
backup_out="$(as_service 'cms-scheduler backup /var/backups/cms-scheduler/scheduler-$(date +%F).db' 2>&1 || true)"
check "cms-scheduler backup (as cms-scheduler): 1 meeting, 2 users" grep -q ': 1 meetings, 2 users' <<<"$backup_out"

# A restore, with the service stopped (it refuses while the service runs).
restore_out="$(as_service 'cms-scheduler restore /var/backups/cms-scheduler/scheduler-*.db' 2>&1 || true)"
check "cms-scheduler restore refuses while the service runs" grep -q 'stop it first' <<<"$restore_out"
stop_service
restore_out="$(as_service 'cms-scheduler restore /var/backups/cms-scheduler/scheduler-*.db' 2>&1 || true)"
check "cms-scheduler restore (as cms-scheduler, the service stopped): 1 meeting, 2 users" \
  grep -q ': 1 meetings, 2 users' <<<"$restore_out"

# --- upgrade ---------------------------------------------------------------------
db_before="$(sha256sum <"$R/var/lib/cms-scheduler/scheduler.db" || true)"
json_before="$(sha256sum <"$R/var/lib/cms-scheduler/scheduler.json" || true)"
# The next release: the same package with a higher version.
dpkg-deb -R "$deb" "$work/next"
next_version="${version%%-*}-2${version#*-1}"
sed -i "s/^Version: .*/Version: $next_version/" "$work/next/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$work/next" "$work/next.deb" >/dev/null
check "dpkg -i of the next version upgrades" dpkg_root -i "$work/next.deb"
same "dpkg: the next version is installed" "install ok installed $next_version" \
  "$(dpkg-query --root="$R" -W -f '${Status} ${Version}' cms-scheduler)"
check "upgrade: the administrator's configuration is kept" cmp "$work/config-as-edited" "$R/etc/cms-scheduler/cms-scheduler.toml"
check "upgrade: no .dpkg-new or .dpkg-dist beside it" bash -c "! ls '$R/etc/cms-scheduler/' | grep -q dpkg"
same "upgrade: the configuration is still readable by the service only" "0:$gid 640" \
  "$(stat -c '%u:%g %a' "$R/etc/cms-scheduler/cms-scheduler.toml")"
same "upgrade: the database is untouched" "$db_before" "$(sha256sum <"$R/var/lib/cms-scheduler/scheduler.db" || true)"
same "upgrade: scheduler.json is untouched" "$json_before" "$(sha256sum <"$R/var/lib/cms-scheduler/scheduler.json" || true)"
same "upgrade: the same user" "$entry" "$(awk -F: '$1 == "cms-scheduler"' "$R/etc/passwd")"
start_service || true
check "after the upgrade the service starts again" curl -fsS "$base/healthz"
same "after the upgrade the administrator still signs in" "303 $https/" \
  "$(check_https >/dev/null 2>&1; sign_in admin "$admin_password" "$work/admin2.jar")"
check "after the upgrade the meeting is still there" bash -c \
  "curl -fsS --cacert '$work/tls-ca.pem' --resolve 'scheduler.test:$https_port:127.0.0.1' \
     -H 'Authorization: Bearer $token' '$https/api/v1/meetings' | grep -q 'Package test'"
stop_service
db_before="$(sha256sum <"$R/var/lib/cms-scheduler/scheduler.db" || true)"

# --- remove, then purge ----------------------------------------------------------
check "dpkg -r removes the package" dpkg_root -r cms-scheduler
same "remove: dpkg keeps its configuration" "deinstall ok config-files" \
  "$(dpkg-query --root="$R" -W -f '${Status}' cms-scheduler)"
check "remove: the binary and the unit are gone" bash -c \
  "[ ! -e '$R/usr/bin/cms-scheduler' ] && [ ! -e '$R/lib/systemd/system/cms-scheduler.service' ]"
check "remove: the configuration is kept" cmp "$work/config-as-edited" "$R/etc/cms-scheduler/cms-scheduler.toml"
same "remove: the data directory is kept, the database in it" "$db_before" \
  "$(sha256sum <"$R/var/lib/cms-scheduler/scheduler.db" 2>&1 || true)"
check "dpkg -P purges the package" dpkg_root -P cms-scheduler
same "purge: dpkg no longer knows the package" "" \
  "$(dpkg-query --root="$R" -W -f '${Status}' cms-scheduler 2>/dev/null || true)"
check "purge: the data directory is deleted" test ! -e "$R/var/lib/cms-scheduler"
check "purge: the conffile is deleted" test ! -e "$R/etc/cms-scheduler/cms-scheduler.toml"
check "purge: the unit is no longer enabled" test ! -e "$R/etc/systemd/system/multi-user.target.wants/cms-scheduler.service"
check "purge: the files the administrator added stay (e.g. the password file)" \
  test -f "$R/etc/cms-scheduler/callbridge.password"
check "purge: the cms-scheduler user stays" grep -q '^cms-scheduler:' "$R/etc/passwd"
check "purge: the backups stay" bash -c "ls '$R/var/backups/cms-scheduler/'scheduler-*.db"

finish
