#!/usr/bin/env bash
# The long version of the fault tests that scripts/test.sh runs short.
#
#   bench/faults.sh [--rounds N] [--users N] [--seconds N] [--sqlite-only]
#
# 1. The chaos test (tests/tests/it/faults.rs) with many users for a while,
#    on SQLite and on a throwaway PostgreSQL, one seed per round: the Call
#    Bridge answers 503, drops connections before or after the work and is
#    slow at random; afterwards nothing is lost, nothing half-made is left
#    and each mail was written once.
# 2. Every other fault test, once per round: a lost answer, a slow Call
#    Bridge, refused deletions, updates while it is down, a cleanup that
#    fails then succeeds, the SMTP server down and back, a node killed while
#    creating, a flapping web bridge.
# Exits non-zero at the first failure, with the seed to reproduce it.
source "$(dirname "$0")/../scripts/lib.sh"

rounds=3 users=50 seconds=60 sqlite_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --sqlite-only) sqlite_only=1; shift ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

cd "$ROOT"
say "building the tests"
cargo test -p integration-tests -p server --no-run 2>&1 | tail -n 1

pg_dir="" pg_url=""
cleanup() { [ -z "$pg_dir" ] || { "$ROOT/scripts/pg.sh" stop "$pg_dir"; rm -rf "$pg_dir"; }; }
trap cleanup EXIT
if [ -z "$sqlite_only" ]; then
  ensure_postgresql
  pg_dir="$(mktemp -d)"
  pg_url="$("$ROOT/scripts/pg.sh" start "$pg_dir")"
fi

# run LABEL COMMAND...: runs a test command, prints its summary lines, and
# exits with a message when its result is not ok.
run() {
  local label="$1" out; shift
  out="$("$@" 2>&1 || true)"
  grep -E "^chaos:|panicked|left:|right:|test result" <<<"$out" || true
  grep -q "test result: ok" <<<"$out" || { echo "FAILED: $label" >&2; exit 1; }
}

for round in $(seq 1 "$rounds"); do
  seed=$((RANDOM * 32768 + RANDOM + 1))
  say "round $round: chaos on SQLite, $users users, $seconds s, seed $seed"
  run "chaos on SQLite, CHAOS_SEED=$seed" env CHAOS_USERS="$users" CHAOS_SECONDS="$seconds" \
    CHAOS_SEED="$seed" cargo test -q -p integration-tests --test it faults::chaos -- --nocapture
  if [ -z "$sqlite_only" ]; then
    say "round $round: chaos on PostgreSQL, same seed"
    run "chaos on PostgreSQL, CHAOS_SEED=$seed" env TEST_BACKEND=postgres TEST_DATABASE_URL="$pg_url" \
      CHAOS_USERS="$users" CHAOS_SECONDS="$seconds" CHAOS_SEED="$seed" \
      cargo test -q -p integration-tests --test it faults::chaos -- --nocapture
  fi
  say "round $round: the other fault tests"
  run "fault tests" cargo test -q -p integration-tests --test it -- \
    faults:: cleanup::a_call_bridge_failure mail::smtp_down cluster::a_node_killed --skip faults::chaos
  run "Call Bridge and C2W fault tests" cargo test -q -p server --lib -- \
    c2w::tests::a_flapping c2w::tests::a_stopped callbridge::tests::saga
done
say "all $rounds rounds passed"
