#!/usr/bin/env bash
# Builds the Debian package of the scheduler (cms-scheduler_<version>_<arch>.deb)
# with dpkg-deb from what scripts/build.sh builds: the binary in /usr/bin,
# the site in /usr/share/cms-scheduler/site, the systemd unit, the system
# user (sysusers.d), the configuration /etc/cms-scheduler/cms-scheduler.toml
# (a conffile) and the maintainer scripts of packaging/. See docs/install.md.
#
#   scripts/package.sh [--debug] [--prebuilt] [--out DIR]
#
# --release (the default) packages the release build; --debug packages the
# debug build (faster to make, version <version>-1~debug: for the tests).
# --prebuilt packages $SERVER_BIN and $SITE_ROOT as a build left them
# (scripts/test.sh, after its end-to-end stage built them) instead of
# building. The package goes to DIR (default $CARGO_TARGET_DIR/deb); its
# path is the one line on standard output.
source "$(dirname "$0")/lib.sh"

profile=release
prebuilt=false
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --release) profile=release ;;
    --debug) profile=debug ;;
    --prebuilt) prebuilt=true ;;
    --out) out="${2:?--out DIR}"; shift ;;
    -h | --help) sed -n 2,15p "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
out="${out:-$CARGO_TARGET_DIR/deb}"
if ! command -v dpkg-shlibdeps >/dev/null 2>&1 || ! command -v strip >/dev/null 2>&1; then
  say "installing Debian's dpkg-dev and binutils"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev binutils >/dev/null
fi

cd "$ROOT"
if $prebuilt; then
  [ -x "${SERVER_BIN:-}" ] && [ -d "${SITE_ROOT:-}" ] || { echo "--prebuilt: set SERVER_BIN and SITE_ROOT" >&2; exit 1; }
elif [ "$profile" = release ]; then
  build_site --release >&2
else
  build_site >&2
fi

pkg=packaging
version="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "server"))')-1"
[ "$profile" = release ] || version="$version~debug"
arch="$(dpkg --print-architecture)"
maintainer="${DEBFULLNAME:-cms-scheduler maintainers} <${DEBEMAIL:-cms-scheduler@localhost}>"
commit="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tree="$work/tree"
say "staging cms-scheduler $version ($arch, $profile build, commit $commit)"

install -D -m 0755 "$SERVER_BIN" "$tree/usr/bin/cms-scheduler"
# Debug information out (a release build keeps its symbols for backtraces).
strip --strip-debug "$tree/usr/bin/cms-scheduler"

site="$tree/usr/share/cms-scheduler/site"
mkdir -p "$site"
cp -R "$SITE_ROOT/." "$site/"
[ -f "$site/hash.txt" ] || { echo "the site in $SITE_ROOT has no hash.txt" >&2; exit 1; }

install -D -m 0644 "$pkg/cms-scheduler.service" "$tree/lib/systemd/system/cms-scheduler.service"
install -D -m 0644 "$pkg/sysusers.conf" "$tree/usr/lib/sysusers.d/cms-scheduler.conf"
install -D -m 0640 "$pkg/cms-scheduler.toml" "$tree/etc/cms-scheduler/cms-scheduler.toml"

doc="$tree/usr/share/doc/cms-scheduler"
install -D -m 0644 "$pkg/debian/copyright" "$doc/copyright"
install -D -m 0644 "$pkg/low-port.conf" "$doc/examples/low-port.conf"
for f in docs/*.md; do install -m 0644 "$f" "$doc/"; done
{
  echo "cms-scheduler ($version) unstable; urgency=medium"
  echo
  echo "  * Built by scripts/package.sh from commit $commit."
  echo
  echo " -- $maintainer  $(date -R)"
} | gzip -9n >"$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"

# Everything the package installs: directories 0755, files 0644 but the
# binary and the configuration; owners root:root (dpkg-deb --root-owner-group).
find "$tree" -type d -exec chmod 0755 {} +
find "$tree/usr/share" -type f -exec chmod 0644 {} +

# The libraries the binary needs, as dpkg-shlibdeps finds them.
mkdir -p "$work/src/debian"
printf 'Source: cms-scheduler\n\nPackage: cms-scheduler\nArchitecture: any\n' >"$work/src/debian/control"
shlibs="$(cd "$work/src" && dpkg-shlibdeps -O -e"$tree/usr/bin/cms-scheduler" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[ -n "$shlibs" ] || { echo "dpkg-shlibdeps found no libraries for the binary" >&2; exit 1; }

mkdir -p "$tree/DEBIAN"
(cd "$tree" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$tree/DEBIAN/md5sums"
installed_size="$(du -sk --exclude=DEBIAN "$tree" | cut -f1)"
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
  -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@SHLIBS@|$shlibs|" \
  "$pkg/debian/control.in" >"$tree/DEBIAN/control"
install -m 0644 "$pkg/debian/conffiles" "$tree/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "$pkg/debian/$script" "$tree/DEBIAN/$script"
done

mkdir -p "$out"
deb="$out/cms-scheduler_${version}_${arch}.deb"
# xz for a release; the debug build (a 120 MB binary) only needs to be quick.
compress=(-Zxz)
[ "$profile" = release ] || compress=(-Zgzip -z1)
step "dpkg-deb --build" dpkg-deb --root-owner-group "${compress[@]}" --build "$tree" "$deb" >&2
say "package: $deb ($(du -h "$deb" | cut -f1))"
echo "$deb"
