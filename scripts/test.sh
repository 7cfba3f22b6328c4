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

# The mail integration test (tests/tests/it/mail.rs) runs a real SMTP server
# (aiosmtpd) and parses what it receives with icalendar; the recurrence
# reference test (server/tests/recurrence_reference.rs) expands rules with
# python-dateutil.
ensure_mail_test_packages() {
  if ! python3 -c 'import aiosmtpd, icalendar, dateutil' >/dev/null 2>&1; then
    python3 -m pip install --quiet aiosmtpd icalendar python-dateutil \
      || python3 -m pip install --quiet --break-system-packages aiosmtpd icalendar python-dateutil
  fi
}

# ical.js (Mozilla's iCalendar parser, Thunderbird's), the mail tests'
# second reader of invitations (tests/ical/read.mjs): `npm ci` in
# tests/ical whenever its lock file changed.
ensure_ical_js() {
  local want have
  want="$(sha256sum "$ROOT/tests/ical/package-lock.json" | cut -d' ' -f1)"
  have="$(cat "$ROOT/tests/ical/node_modules/.installed-from" 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    say "installing ical.js for the mail tests"
    (cd "$ROOT/tests/ical" && npm ci --silent && echo "$want" >node_modules/.installed-from)
  fi
}

install_all() {
  ensure_build_tools
  if ! command -v schemathesis >/dev/null 2>&1; then
    say "installing schemathesis (PyPI)"
    python3 -m pip install --quiet --disable-pip-version-check schemathesis
  fi
  ensure_chromium
  ensure_end2end_packages
  ensure_mail_test_packages
  ensure_ical_js
  ensure_postgresql
  ensure_slapd
}

# The directory tests run against a real slapd here: a missing one fails
# them instead of skipping them.
export SCHEDULER_TEST_LDAP=required

# The integration tests again, each server on a fresh database of a
# throwaway PostgreSQL cluster (scripts/pg.sh).
postgres_tests() {
  local pg
  pg="$(mktemp -d)"
  local url
  if ! url="$("$ROOT/scripts/pg.sh" start "$pg")"; then
    rm -rf "$pg"
    return 1
  fi
  local rc=0
  TEST_BACKEND=postgres TEST_DATABASE_URL="$url" debug_cargo test -p integration-tests || rc=$?
  "$ROOT/scripts/pg.sh" stop "$pg"
  rm -rf "$pg"
  return $rc
}

end_to_end() {
  build_site
  local port data log
  port="$(free_port)"
  data="$(mktemp -d)"
  log="$data/server.log"
  "$SERVER_BIN" serve --demo --listen "127.0.0.1:$port" --data-dir "$data" --site-root "$SITE_ROOT" >"$log" 2>&1 &
  local pid=$!
  # A second scheduler whose Call Bridge never answers (nothing listens on port 9).
  local down_port down_data
  down_port="$(free_port)"
  down_data="$(mktemp -d)"
  "$SERVER_BIN" serve --demo --listen "127.0.0.1:$down_port" --data-dir "$down_data" --site-root "$SITE_ROOT" \
    --callbridge-url "http://127.0.0.1:9" >"$down_data/server.log" 2>&1 &
  local down_pid=$!
  # A third scheduler whose people come from a throwaway slapd only (no
  # local account), with the simulator's seed plus the source document's
  # personal space (end2end/directory-seed.json).
  local ldap_port ldap_data ldap_dir ldap_pid=""
  ldap_port="$(free_port)"
  ldap_data="$(mktemp -d)"
  ldap_dir="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "kill $pid $down_pid 2>/dev/null; wait $pid $down_pid 2>/dev/null; '$ROOT/scripts/e2e_directory.sh' stop '$ldap_dir'; rm -rf '$data' '$down_data' '$ldap_data' '$ldap_dir'; report" EXIT
  if ! SERVER_BIN="$SERVER_BIN" "$ROOT/scripts/e2e_directory.sh" start "$ldap_dir" "$ldap_data" >/dev/null; then
    echo "the end-to-end directory did not start" >&2
    return 1
  fi
  "$SERVER_BIN" serve --listen "127.0.0.1:$ldap_port" --data-dir "$ldap_data" --site-root "$SITE_ROOT" \
    --callbridge-simulator --callbridge-seed "$ROOT/end2end/directory-seed.json" >"$ldap_data/server.log" 2>&1 &
  ldap_pid=$!
  # shellcheck disable=SC2064
  trap "kill $pid $down_pid $ldap_pid 2>/dev/null; wait $pid $down_pid $ldap_pid 2>/dev/null; '$ROOT/scripts/e2e_directory.sh' stop '$ldap_dir'; rm -rf '$data' '$down_data' '$ldap_data' '$ldap_dir'; report" EXIT
  if ! wait_healthy "http://127.0.0.1:$port" 60 || ! wait_healthy "http://127.0.0.1:$down_port" 60 \
    || ! wait_healthy "http://127.0.0.1:$ldap_port" 60; then
    cat "$log" "$down_data/server.log" "$ldap_data/server.log" >&2
    return 1
  fi
  if ! (cd end2end && BASE_URL="http://127.0.0.1:$port" CB_DOWN_URL="http://127.0.0.1:$down_port" \
    LDAP_BASE_URL="http://127.0.0.1:$ldap_port" MAIL_DIR="$data/mail" npx playwright test); then
    echo "--- server log ---" >&2
    tail -n 50 "$log" >&2
    echo "--- directory server log ---" >&2
    tail -n 50 "$ldap_data/server.log" >&2
    return 1
  fi
  say "schemathesis against the REST API"
  local token
  token="$("$SERVER_BIN" user token demo --name schemathesis --data-dir "$data")"
  if ! "$ROOT/scripts/schemathesis.sh" "http://127.0.0.1:$port" "$token" 25; then
    echo "--- server log ---" >&2
    tail -n 50 "$log" >&2
    return 1
  fi
}

# The Debian package of the debug build the end-to-end stage made (faster
# than a release build; PACKAGE_PROFILE=release packages that instead): its
# contents, then installed into a throwaway root and run against the
# simulators, as root (tests/package/, docs/install.md).
package_tests() {
  local deb
  deb="$("$ROOT/scripts/package.sh" "--${PACKAGE_PROFILE:-debug}")"
  "$ROOT/tests/package/contents.sh" "$deb"
  as_root "$ROOT/tests/package/install.sh" "$deb"
}

# Every cargo run with the RUSTFLAGS of scripts/build.sh's debug build, so
# that the end-to-end stage's build reuses what the tests compiled.
debug_cargo() {
  RUSTFLAGS="$(debug_rustflags)" cargo "$@"
}

stage "install missing tools" install_all
stage "cargo fmt --check" cargo fmt --all -- --check
stage "clippy (server side)" debug_cargo clippy -p app -p server -p integration-tests --all-targets -- -D warnings
stage "clippy (browser side)" debug_cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
stage "unit + integration tests" debug_cargo test -p app -p server -p integration-tests
stage "integration tests on PostgreSQL" postgres_tests
stage "build + end-to-end tests" end_to_end
stage "Debian package" package_tests
say "all tests passed"
