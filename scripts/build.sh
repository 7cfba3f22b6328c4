#!/usr/bin/env bash
# Builds the scheduler as `cargo leptos build` (cargo-leptos 0.3.10) does,
# without cargo-leptos, following [[workspace.metadata.leptos]] in Cargo.toml:
# the server binary, the browser's WASM through wasm-bindgen (and wasm-opt
# with --release), the style sheet and public/ under the site root. Then it
# names the JS, WASM and CSS by their content hash and precompresses them
# (.br, .gz) for the server to serve as immutable. See docs/building.md.
#
#   scripts/build.sh [--release] [--server-only | --frontend-only]
#
# Installs what is missing: the wasm32 target, wasm-bindgen-cli (compiled
# while the server compiles), wasm-opt for --release. The three compilations
# (server, browser side, wasm-bindgen-cli) run at once, each with as many jobs
# as there are cores: the server's is the longest and ends last.
source "$(dirname "$0")/lib.sh"

release=false
want_server=true
want_front=true
while [ $# -gt 0 ]; do
  case "$1" in
    --release | -r) release=true ;;
    --server-only) want_front=false ;;
    --frontend-only) want_server=false ;;
    -h | --help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
load_leptos_config
cd "$ROOT"

# The environment cargo-leptos gives both compilations. Leptos reads
# LEPTOS_OUTPUT_NAME when it compiles; the same variables and RUSTFLAGS keep
# the build cache shared with a cargo-leptos build of this workspace.
cargo_env=(
  "LEPTOS_OUTPUT_NAME=$LEPTOS_OUTPUT_NAME"
  "LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT#"$ROOT/"}"
  "LEPTOS_SITE_PKG_DIR=$LEPTOS_SITE_PKG_DIR"
  "LEPTOS_SITE_ADDR=$LEPTOS_SITE_ADDR"
  "LEPTOS_RELOAD_PORT=$LEPTOS_RELOAD_PORT"
  "LEPTOS_LIB_DIR=$LEPTOS_LIB_PACKAGE"
  "LEPTOS_BIN_DIR=$LEPTOS_BIN_PACKAGE"
  "LEPTOS_JS_MINIFY=$release"
  "LEPTOS_HASH_FILES=false"
)
# Debug builds: Leptos's type-erased views, which compile faster.
$release || cargo_env+=("RUSTFLAGS=$(debug_rustflags)")

# cargo_args PACKAGE-KIND: the features and profile arguments of one build.
cargo_args() {
  local features default profile
  if [ "$1" = bin ]; then
    features="$LEPTOS_BIN_FEATURES" default="$LEPTOS_BIN_DEFAULT_FEATURES" profile="$LEPTOS_BIN_PROFILE_RELEASE"
  else
    features="$LEPTOS_LIB_FEATURES" default="$LEPTOS_LIB_DEFAULT_FEATURES" profile="$LEPTOS_LIB_PROFILE_RELEASE"
  fi
  [ "$default" = true ] || printf '%s\n' --no-default-features
  [ -z "$features" ] || printf '%s\n' "--features=$features"
  if $release; then
    if [ "$profile" = release ]; then printf '%s\n' --release; else printf '%s\n' "--profile=$profile"; fi
  fi
}

# labelled LABEL COMMAND...: runs COMMAND with each output line prefixed.
labelled() {
  local label="$1"
  shift
  "$@" 2>&1 | sed -u "s/^/[$label] /"
}

# On failure, the background builds stop too: each started process and its
# descendants, by pid.
pids=()
kill_tree() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
cleanup() {
  for p in "${pids[@]}"; do kill_tree "$p"; done
}
trap cleanup EXIT

# The server compiles in the background while the browser side is made.
if $want_server; then
  mapfile -t args < <(cargo_args bin)
  server_start=$(date +%s)
  say "compiling the server ($LEPTOS_BIN_PACKAGE), in the background (minutes when nothing is cached)"
  labelled server env "${cargo_env[@]}" \
    cargo build "--package=$LEPTOS_BIN_PACKAGE" "--bin=$LEPTOS_BIN_TARGET" "${args[@]}" &
  server_pid=$!
  pids+=("$server_pid")
fi

if $want_front; then
  ensure_wasm_target
  # wasm-bindgen-cli is only needed once the WASM is built: compile it meanwhile.
  bindgen_pid=""
  if ! have_wasm_bindgen; then
    step "installing wasm-bindgen-cli $(wasm_bindgen_wanted) meanwhile, once (about a minute alone)" \
      labelled wasm-bindgen-cli install_wasm_bindgen &
    bindgen_pid=$!
    pids+=("$bindgen_pid")
  fi
  $release && ensure_wasm_opt

  mapfile -t args < <(cargo_args lib)
  front_target="$CARGO_TARGET_DIR/front"
  step "compiling the browser side ($LEPTOS_LIB_PACKAGE for wasm32; minutes when nothing is cached)" \
    labelled browser env "${cargo_env[@]}" \
    cargo build "--package=$LEPTOS_LIB_PACKAGE" --lib "--target-dir=$front_target" \
    --target=wasm32-unknown-unknown "${args[@]}"
  if [ -n "$bindgen_pid" ]; then
    say "waiting for wasm-bindgen-cli to finish compiling"
    wait "$bindgen_pid"
  fi
  have_wasm_bindgen || { echo "wasm-bindgen $(wasm_bindgen_wanted) is not on PATH" >&2; exit 1; }

  profile_dir=debug
  if $release; then profile_dir="$LEPTOS_LIB_PROFILE_RELEASE"; fi
  lib_name="${LEPTOS_LIB_PACKAGE//-/_}"
  input="$front_target/wasm32-unknown-unknown/$profile_dir/$lib_name.wasm"
  site="$LEPTOS_SITE_ROOT"
  pkg="$site/$LEPTOS_SITE_PKG_DIR"
  # As cargo-leptos: the site root is emptied, then filled anew.
  case "$site" in / | "$ROOT" | "$ROOT/" | "$ROOT/target" | "$CARGO_TARGET_DIR")
    echo "refusing to empty $site: set site-root to a directory of its own" >&2; exit 1 ;;
  esac
  mkdir -p "$site"
  find "$site" -mindepth 1 -delete
  mkdir -p "$pkg"
  [ -z "$LEPTOS_ASSETS_DIR" ] || cp -R "$ROOT/$LEPTOS_ASSETS_DIR/." "$site/"
  step "wasm-bindgen" wasm-bindgen --target=web --no-typescript \
    "--out-name=$LEPTOS_OUTPUT_NAME" "--out-dir=$pkg" "$input"
  # cargo-leptos's name for the module, which leptos's HydrationScripts expects.
  mv "$pkg/${LEPTOS_OUTPUT_NAME}_bg.wasm" "$pkg/$LEPTOS_OUTPUT_NAME.wasm"
  if $release; then
    step "wasm-opt -Oz (about a minute)" wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$pkg/$LEPTOS_OUTPUT_NAME.wasm" -o "$pkg/$LEPTOS_OUTPUT_NAME.wasm"
  fi
  [ -z "$LEPTOS_STYLE_FILE" ] || cp "$ROOT/$LEPTOS_STYLE_FILE" "$pkg/$LEPTOS_OUTPUT_NAME.css"
  quality=11
  $release || quality=5
  step "content hashes and precompressed copies (brotli quality $quality, gzip -9)" \
    node "$ROOT/scripts/site-assets.mjs" "$pkg" "$LEPTOS_OUTPUT_NAME" "$site/hash.txt" "$quality"
fi

if $want_server; then
  say "waiting for the server's compilation"
  wait "$server_pid"
  say "done in $(($(date +%s) - server_start))s: compiling the server"
fi
pids=()
say "site: $LEPTOS_SITE_ROOT"
