# Shared by demo.sh and test.sh: installs what is missing, idempotently, from
# the package registries only (crates.io, npm, Debian), and knows where
# things are built. Source it; do not run it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/cms-scheduler"
# Build outside the clone so that a fresh clone reuses earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PATH="$HOME/.cargo/bin:$CACHE/tools/node_modules/binaryen/bin:$PATH"
CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_VERSION="132.0.0"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes, once)"
    # --locked: newer dependency releases need a newer rustc than this machine's.
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
}

ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    say "installing wasm-bindgen-cli $want (it must equal wasm-bindgen in Cargo.lock)"
    cargo install wasm-bindgen-cli --version "$want"
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

ensure_build_tools() {
  ensure_wasm_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_wasm_opt
}

# Builds the server and the WASM bundle; sets SERVER_BIN and SITE_ROOT.
build_site() {
  (cd "$ROOT" && cargo leptos build "$@")
  SERVER_BIN="$CARGO_TARGET_DIR/debug/server"
  case " $* " in *" --release "*) SERVER_BIN="$CARGO_TARGET_DIR/release/server" ;; esac
  SITE_ROOT="$ROOT/target/site"
  [ -d "$SITE_ROOT/pkg" ] || SITE_ROOT="$CARGO_TARGET_DIR/site"
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
