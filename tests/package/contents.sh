#!/usr/bin/env bash
# Test (a) of the Debian package: builds it (scripts/package.sh, the debug
# build unless PACKAGE_PROFILE=release) or takes the .deb given as $1, and
# checks what is in it: the control fields, the conffiles, the maintainer
# scripts, every file's path, mode and owner, the md5sums, the site's
# hashed assets, the binary's --version, and the systemd unit with
# `systemd-analyze verify` and `systemd-analyze security --offline` (its
# hardening as systemd reads it, with and without the low-port drop-in).
source "$(dirname "$0")/common.sh"

deb="$(package_under_test "${1:-}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
say "checking the contents of $deb"

# --- control ---------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
version="$(field Version)"
same "Package is cms-scheduler" cms-scheduler "$(field Package)"
same "Version is the workspace's, Debian revision 1" "$(expected_version "$version")" "$version"
same "Architecture is this host's" "$(dpkg --print-architecture)" "$(field Architecture)"
check "Maintainer names an address" grep -Eq '^.+ <[^ ]+@[^ ]+>$' <<<"$(field Maintainer)"
check "Depends has the C library, from dpkg-shlibdeps" grep -Eq '(^|, )libc6 \(>= [0-9.]+\)' <<<"$(field Depends)"
check "Depends has systemd-sysusers (the user is made with it)" grep -Fq 'systemd | systemd-sysusers' <<<"$(field Depends)"
check "Section, Priority and a Description" test -n "$(field Section)" -a -n "$(field Priority)" -a -n "$(field Description)"

dpkg-deb -e "$deb" "$work/control"
same "control members: control, conffiles, md5sums and three maintainer scripts" \
  "conffiles control md5sums postinst postrm prerm" "$(ls "$work/control" | sort | tr '\n' ' ' | sed 's/ $//')"
same "the one conffile is the configuration" "/etc/cms-scheduler/cms-scheduler.toml" "$(cat "$work/control/conffiles")"
for s in postinst prerm postrm; do
  same "$s is 0755" 755 "$(stat -c %a "$work/control/$s")"
  check "$s parses as POSIX sh (dash -n)" dash -n "$work/control/$s"
  same "$s starts with #!/bin/sh and set -e" "#!/bin/sh set -e" \
    "$(head -1 "$work/control/$s") $(grep -m1 -x 'set -e' "$work/control/$s")"
done
# Every path of the maintainer scripts is under $DPKG_ROOT (an install into
# another root, tests/package/install.sh, runs them there).
check "maintainer scripts name /etc and /var only under \$DPKG_ROOT" \
  bash -c "! grep -nE '(^|[^T}])\"?/(etc|var)/' '$work/control/postinst' '$work/control/postrm' | grep -v '^[^:]*:[0-9]*:#'"

# --- files -----------------------------------------------------------------
# dpkg-deb -c: "mode owner/group size date time path"
dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' >"$work/list"
mode_of() { awk -v p="./$1" '$3 == p { print $1 }' "$work/list"; }
check "every entry is root/root" bash -c "! awk '\$2 != \"root/root\"' '$work/list' | grep ."
check "no entry is writable by group or others, none setuid or setgid" \
  bash -c "! awk '{ m = \$1; if (substr(m, 6, 1) == \"w\" || substr(m, 9, 1) == \"w\" || m ~ /[sS]/) print }' '$work/list' | grep ."
check "every directory is drwxr-xr-x" bash -c "! awk '\$1 ~ /^d/ && \$1 != \"drwxr-xr-x\"' '$work/list' | grep ."
check "everything is under /usr, /lib/systemd/system or /etc/cms-scheduler (no data directory)" \
  bash -c "! awk '{ print \$3 }' '$work/list' | grep -vE '^\./(\$|usr/|lib/(\$|systemd/(\$|system/))|etc/(\$|cms-scheduler/))'"
check "the only executable file is the binary" \
  bash -c "[ \"\$(awk '\$1 ~ /^-..x/ { print \$3 }' '$work/list')\" = ./usr/bin/cms-scheduler ]"
while read -r want path; do
  same "$path is $want" "$want" "$(mode_of "$path")"
done <<'FILES'
-rwxr-xr-x usr/bin/cms-scheduler
-rw-r----- etc/cms-scheduler/cms-scheduler.toml
-rw-r--r-- lib/systemd/system/cms-scheduler.service
-rw-r--r-- usr/lib/sysusers.d/cms-scheduler.conf
-rw-r--r-- usr/share/cms-scheduler/site/hash.txt
-rw-r--r-- usr/share/doc/cms-scheduler/copyright
-rw-r--r-- usr/share/doc/cms-scheduler/changelog.Debian.gz
-rw-r--r-- usr/share/doc/cms-scheduler/install.md
-rw-r--r-- usr/share/doc/cms-scheduler/operations.md
-rw-r--r-- usr/share/doc/cms-scheduler/examples/low-port.conf
FILES

dpkg-deb -x "$deb" "$work/root"
check "md5sums lists every file, and each sum matches" bash -c "
  cd '$work/root' && [ \"\$(find . -type f -printf '%P\n' | sort)\" = \"\$(awk '{ print \$2 }' '$work/control/md5sums' | sort)\" ] \
    && md5sum --quiet -c '$work/control/md5sums'"
same "the sysusers.d line makes the cms-scheduler system user, home the data directory" \
  'u cms-scheduler - "CMS meeting scheduler" /var/lib/cms-scheduler /usr/sbin/nologin' \
  "$(grep -v '^#' "$work/root/usr/lib/sysusers.d/cms-scheduler.conf")"
check "systemd-sysusers accepts the sysusers.d file" systemd-sysusers --dry-run --root="$work/root" cms-scheduler.conf

# The configuration points the binary at the installed site and data.
config="$work/root/etc/cms-scheduler/cms-scheduler.toml"
check "the configuration is TOML" python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$config"
same "the configuration's site-root, data-dir and listen" \
  "/usr/share/cms-scheduler/site /var/lib/cms-scheduler 127.0.0.1:3000" \
  "$(python3 -c 'import sys, tomllib; c = tomllib.load(open(sys.argv[1], "rb")); print(c["site-root"], c["data-dir"], c["listen"])' "$config")"

check "the packaged binary reads the packaged configuration (every key known, every value good)" \
  "$work/root/usr/bin/cms-scheduler" --config "$config" scheduler help

# The site: hash.txt names the JS, WASM and CSS, each with .br and .gz.
site="$work/root/usr/share/cms-scheduler/site"
for kind in js wasm css; do
  hash="$(sed -n "s/^$kind: *//p" "$site/hash.txt")"
  check "the site's $kind is there by its hash, with .br and .gz" \
    test -n "$hash" -a -s "$site/pkg/cms-scheduler.$hash.$kind" -a -s "$site/pkg/cms-scheduler.$hash.$kind.br" \
    -a -s "$site/pkg/cms-scheduler.$hash.$kind.gz"
done
for f in $(cd "$ROOT/public" && find . -type f -printf '%P\n'); do
  check "public/$f is in the site" cmp "$ROOT/public/$f" "$site/$f"
done

bin_version="$("$work/root/usr/bin/cms-scheduler" --version)"
check "the binary's --version names the package's version and a commit ($bin_version)" \
  grep -Eq "^cms-scheduler ${version%%-*} \(commit [0-9a-f]{7,}" <<<"$bin_version"
check "the binary has no debug information left" bash -c "! readelf -S '$work/root/usr/bin/cms-scheduler' | grep -q '\.debug_info'"

# --- the unit --------------------------------------------------------------
# systemd-analyze in the unpacked tree, with this host's own units (targets)
# beside the package's.
mkdir -p "$work/root/usr/lib/systemd"
cp -a /lib/systemd/system "$work/root/usr/lib/systemd/"
rm -f "$work/root/usr/lib/systemd/system/cms-scheduler.service"
analyze() { systemd-analyze "$@" --root="$work/root" cms-scheduler.service; }
check "systemd-analyze verify: no error, no warning" bash -c "
  out=\$(systemd-analyze verify --root='$work/root' cms-scheduler.service 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
dump="$(SYSTEMD_LOG_LEVEL=debug systemd-analyze verify --root="$work/root" cms-scheduler.service 2>&1 \
  | sed -n 's/^\t\t\t*\([A-Za-z ]*\): \(.*\)$/\1=\2/p')"
prop() { grep -m1 "^$1=" <<<"$dump" | cut -d= -f2-; }
while IFS='|' read -r key want; do
  same "unit (as systemd reads it): $key=$want" "$want" "$(prop "$key")"
done <<'PROPS'
User|cms-scheduler
Group|cms-scheduler
Command Line|/usr/bin/cms-scheduler serve --config /etc/cms-scheduler/cms-scheduler.toml
ProtectSystem|strict
ProtectHome|yes
PrivateTmp|yes
ReadWritePaths|/var/lib/cms-scheduler
StateDirectory|cms-scheduler
CapabilityBoundingSet|
StandardOutput|journal
StandardError|journal
Restart|on-failure
PROPS
security="$(analyze security --offline=yes --json=short 2>/dev/null)"
flag() {
  python3 -c 'import json, sys; print(next(str(e["set"]) for e in json.loads(sys.argv[1]) if e["name"] == sys.argv[2]))' "$security" "$1"
}
for name in NoNewPrivileges= ProtectSystem= ProtectHome= PrivateTmp= AmbientCapabilities= "User=/DynamicUser=" \
  "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)" "CapabilityBoundingSet=~CAP_SYS_ADMIN" \
  "CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)" "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)"; do
  same "systemd-analyze security: $name in force" True "$(flag "$name")"
done
check "systemd-analyze security: no capability left in the bounding set" python3 -c '
import json, sys
left = [e["name"] for e in json.loads(sys.argv[1]) if e["name"].startswith("CapabilityBoundingSet=") and not e["set"]]
sys.exit(", ".join(left) if left else 0)' "$security"
exposure="$(analyze security --offline=yes 2>/dev/null | sed -n 's/.*Overall exposure level for cms-scheduler.service: \([0-9.]*\).*/\1/p')"
check "systemd-analyze security: overall exposure $exposure is at most 2.0 (\"OK\")" \
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 2.0 else 1)' "${exposure:-99}"

# The low-port drop-in, installed as docs/install.md says: the bounding set
# is CAP_NET_BIND_SERVICE alone.
install -D -m 0644 "$work/root/usr/share/doc/cms-scheduler/examples/low-port.conf" \
  "$work/root/etc/systemd/system/cms-scheduler.service.d/low-port.conf"
check "with the low-port drop-in: systemd-analyze verify, no warning" bash -c "
  out=\$(systemd-analyze verify --root='$work/root' cms-scheduler.service 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
dump="$(SYSTEMD_LOG_LEVEL=debug systemd-analyze verify --root="$work/root" cms-scheduler.service 2>&1 \
  | sed -n 's/^\t\t\t*\([A-Za-z ]*\): \(.*\)$/\1=\2/p')"
same "with the low-port drop-in: CapabilityBoundingSet" cap_net_bind_service "$(prop CapabilityBoundingSet)"
same "with the low-port drop-in: AmbientCapabilities" cap_net_bind_service "$(prop AmbientCapabilities)"

finish
