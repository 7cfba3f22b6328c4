#!/usr/bin/env bash
# Runs every test: formatting, lints, unit and integration tests (each test
# starts the real server on port 0 with a fresh database), then Playwright in
# headless Chromium against a freshly built server. Installs what is missing.
# Prints how long each stage took.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

TIMES=()
stage() {
  local name="$1"; shift
  say "$name"
  local start=$SECONDS
  "$@"
  TIMES+=("$(printf '%-28s %4ds' "$name" $((SECONDS - start)))")
}
report() {
  echo
  echo "Stage times:"
  for t in "${TIMES[@]}"; do echo "  $t"; done
}
trap report EXIT

install_all() {
  ensure_build_tools
  ensure_chromium
  ensure_end2end_packages
}

end_to_end() {
  build_site
  local port data log
  port="$(free_port)"
  data="$(mktemp -d)"
  log="$data/server.log"
  "$SERVER_BIN" serve --demo --listen "127.0.0.1:$port" --data-dir "$data" --site-root "$SITE_ROOT" >"$log" 2>&1 &
  local pid=$!
  # shellcheck disable=SC2064
  trap "kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf '$data'; report" EXIT
  if ! wait_healthy "http://127.0.0.1:$port" 60; then
    cat "$log" >&2
    return 1
  fi
  if ! (cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test); then
    echo "--- server log ---" >&2
    tail -n 50 "$log" >&2
    return 1
  fi
}

stage "install missing tools" install_all
stage "cargo fmt --check" cargo fmt --all -- --check
stage "clippy (server side)" cargo clippy -p app -p server -p integration-tests --all-targets -- -D warnings
stage "clippy (browser side)" cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
stage "unit + integration tests" cargo test -p app -p server -p integration-tests
stage "build + end-to-end tests" end_to_end
say "all tests passed"
