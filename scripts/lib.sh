# Shared by the scripts: installs what is missing, idempotently, from the
# package registries only (crates.io, npm, Debian), knows where things are
# built, and prints progress with the time elapsed since the first script of
# a run started. Source it; do not run it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/cms-scheduler"
# Build outside the clone so that a fresh clone reuses earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PATH="$HOME/.cargo/bin:$CACHE/tools/node_modules/binaryen/bin:$PATH"
BINARYEN_VERSION="132.0.0"
# The start of this run, shared with the scripts it calls.
export CMS_RUN_START="${CMS_RUN_START:-$(date +%s)}"

elapsed() {
  local s=$(($(date +%s) - CMS_RUN_START))
  printf '%02d:%02d' $((s / 60)) $((s % 60))
}
say() { printf '\033[1m==> [%s] %s\033[0m\n' "$(elapsed)" "$*" >&2; }

# step DESCRIPTION COMMAND...: says what it starts, runs it, says how long it took.
step() {
  local what="$1" start
  shift
  start=$(date +%s)
  say "$what"
  "$@"
  say "done in $(($(date +%s) - start))s: $what"
}

# RUSTFLAGS for debug builds: Leptos's views type-erased (`--cfg
# erase_components`, as cargo-leptos gives them), which compile faster.
# scripts/build.sh gives them to its debug builds and scripts/test.sh to its
# cargo runs, so that the server's debug build reuses the dependencies that
# the tests compiled (other RUSTFLAGS would compile them all again).
debug_rustflags() {
  case " ${RUSTFLAGS:-} " in
    *" --cfg erase_components "*) printf '%s\n' "$RUSTFLAGS" ;;
    *) printf '%s\n' "${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components" ;;
  esac
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# The wasm-bindgen-cli version the build needs: wasm-bindgen's in Cargo.lock.
wasm_bindgen_wanted() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

have_wasm_bindgen() {
  wasm-bindgen --version 2>/dev/null | grep -q " $(wasm_bindgen_wanted)\$"
}

# Only the wasm-bindgen binary (not the test runner nor wasm2es6js, which
# this project does not use), without default features (no TLS stack), and
# unoptimised: it is a build tool, and compiling it with optimisations costs
# 2.7 times the CPU (335 s against 124 s here) to save 2 s per run on the
# debug WASM (3 s instead of 0.8 s; the same output). Built in a throwaway
# target directory (cargo install's own), not in the build cache.
install_wasm_bindgen() {
  env -u CARGO_TARGET_DIR CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo install wasm-bindgen-cli --version "$(wasm_bindgen_wanted)" --no-default-features --bin wasm-bindgen
}

ensure_wasm_bindgen() {
  if ! have_wasm_bindgen; then
    step "installing wasm-bindgen-cli $(wasm_bindgen_wanted), once (about a minute; it must equal wasm-bindgen in Cargo.lock)" \
      install_wasm_bindgen
  fi
}

ensure_wasm_opt() {
  if ! "$CACHE/tools/node_modules/binaryen/bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
    say "installing wasm-opt (npm binaryen $BINARYEN_VERSION)"
    mkdir -p "$CACHE/tools"
    (cd "$CACHE/tools" && npm install --no-save --no-package-lock --silent "binaryen@$BINARYEN_VERSION")
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    say "installing Debian's Chromium"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
}

# PostgreSQL from Debian, for the multi-node tests (started by scripts/pg.sh
# on loopback, never as a system service).
ensure_postgresql() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    say "installing Debian's PostgreSQL"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

# OpenLDAP for the directory tests (tests/tests/it/directory.rs, scripts/slapd.sh).
ensure_slapd() {
  if ! command -v slapd >/dev/null 2>&1 && [ ! -x /usr/sbin/slapd ]; then
    say "installing Debian's OpenLDAP (slapd, ldap-utils)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils >/dev/null
  fi
  # The end-to-end directory's test CA (scripts/e2e_directory.sh).
  if ! command -v openssl >/dev/null 2>&1; then
    say "installing openssl"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
  fi
}

ensure_end2end_packages() {
  local want have
  want="$(sha256sum "$ROOT/end2end/package-lock.json" | cut -d' ' -f1)"
  have="$(cat "$ROOT/end2end/node_modules/.installed-from" 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    say "installing the end-to-end test packages"
    (cd "$ROOT/end2end" && npm ci --silent && echo "$want" >node_modules/.installed-from)
  fi
}

# Everything scripts/build.sh needs. It installs what is missing itself
# (wasm-bindgen-cli while the server compiles, wasm-opt for --release only);
# this is for the scripts that want all of it up front.
ensure_build_tools() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_wasm_opt
}

# The [[workspace.metadata.leptos]] settings of Cargo.toml (cargo-leptos's),
# as shell variables LEPTOS_*: scripts/build.sh follows them.
load_leptos_config() {
  [ -z "${LEPTOS_CONFIG_LOADED:-}" ] || return 0
  local vars
  vars="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c '
import json, shlex, sys
m = json.load(sys.stdin)["metadata"]["leptos"][0]
def get(key, default=""):
    v = m.get(key, default)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ",".join(v)
    return str(v)
for var, key, default in [
    ("OUTPUT_NAME", "output-name", m["name"]),
    ("BIN_PACKAGE", "bin-package", ""), ("BIN_TARGET", "bin-target", m["bin-package"]),
    ("LIB_PACKAGE", "lib-package", ""), ("SITE_ROOT", "site-root", "target/site"),
    ("SITE_PKG_DIR", "site-pkg-dir", "pkg"), ("STYLE_FILE", "style-file", ""),
    ("ASSETS_DIR", "assets-dir", ""), ("SITE_ADDR", "site-addr", "127.0.0.1:3000"),
    ("RELOAD_PORT", "reload-port", "3001"), ("ENV", "env", "DEV"),
    ("BIN_FEATURES", "bin-features", []), ("BIN_DEFAULT_FEATURES", "bin-default-features", True),
    ("LIB_FEATURES", "lib-features", []), ("LIB_DEFAULT_FEATURES", "lib-default-features", True),
    ("BIN_PROFILE_RELEASE", "bin-profile-release", "release"),
    ("LIB_PROFILE_RELEASE", "lib-profile-release", "release"),
]:
    print(f"LEPTOS_{var}={shlex.quote(get(key, default))}")
')"
  eval "$vars"
  # cargo-leptos takes a relative site root from the workspace root.
  case "$LEPTOS_SITE_ROOT" in /*) ;; *) LEPTOS_SITE_ROOT="$ROOT/$LEPTOS_SITE_ROOT" ;; esac
  LEPTOS_CONFIG_LOADED=1
}

# Builds the server and the WASM bundle (scripts/build.sh, same arguments);
# sets SERVER_BIN and SITE_ROOT.
build_site() {
  "$ROOT/scripts/build.sh" "$@"
  load_leptos_config
  local profile=debug
  case " $* " in *" --release "*) profile="$LEPTOS_BIN_PROFILE_RELEASE" ;; esac
  SERVER_BIN="$CARGO_TARGET_DIR/$profile/$LEPTOS_BIN_TARGET"
  SITE_ROOT="$LEPTOS_SITE_ROOT"
  export SERVER_BIN SITE_ROOT
}

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until $1/healthz answers, or fails after $2 seconds.
wait_healthy() {
  local url="$1" deadline=$((SECONDS + ${2:-60}))
  until curl -fsS "$url/healthz" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "the scheduler did not answer at $url within ${2:-60}s" >&2
      return 1
    fi
    sleep 0.5
  done
}
