# Shared by the package tests (tests/package/*.sh): named checks printed as
# TAP lines ("ok N - name", "not ok N - name" with what went wrong), a count
# at the end and a failing exit when any check failed. Source it.

set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../scripts/lib.sh"

CHECKS=0
FAILURES=0
FAILED_NAMES=()

ok() {
  CHECKS=$((CHECKS + 1))
  echo "ok $CHECKS - $1"
}

# not_ok NAME [DETAILS]
not_ok() {
  CHECKS=$((CHECKS + 1))
  FAILURES=$((FAILURES + 1))
  FAILED_NAMES+=("$1")
  echo "not ok $CHECKS - $1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/    /' | head -n 40; fi
}

# check NAME COMMAND...: the check passes when COMMAND exits 0; its output
# is shown when it does not.
check() {
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then ok "$name"; else not_ok "$name" "$out"; fi
}

# same NAME EXPECTED ACTUAL
same() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2"$'\n'"got:      $3"; fi
}

finish() {
  echo "1..$CHECKS"
  if [ "$FAILURES" -gt 0 ]; then
    echo "$FAILURES of $CHECKS checks failed:" >&2
    printf '  %s\n' "${FAILED_NAMES[@]}" >&2
    exit 1
  fi
  echo "all $CHECKS checks passed"
}

# The package under test: $1 when given, else one made now with
# scripts/package.sh ($PACKAGE_PROFILE: debug, the default, or release).
package_under_test() {
  if [ -n "${1:-}" ]; then
    echo "$1"
  else
    "$ROOT/scripts/package.sh" "--${PACKAGE_PROFILE:-debug}"
  fi
}

# The version scripts/package.sh gives the package of this checkout.
expected_version() {
  local v
  v="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "server"))')"
  case "$1" in *~debug) echo "$v-1~debug" ;; *) echo "$v-1" ;; esac
}
