#!/usr/bin/env bash
# Runs the source document's cluster on this machine: PostgreSQL on loopback
# (Debian's package, scripts/pg.sh), the Call Bridge simulator with three web
# bridge simulators, and two scheduler nodes sharing the database, each with
# its own C2W links to the three web bridges. State in .cluster-data/.
# Ctrl-C stops everything. Installs what is missing.
source "$(dirname "$0")/lib.sh"
ensure_build_tools
ensure_postgresql
say "building the scheduler"
build_site
cd "$ROOT"
data="$ROOT/.cluster-data"
mkdir -p "$data"
export SCHEDULER_CALLBRIDGE_PASSWORD="${SCHEDULER_CALLBRIDGE_PASSWORD:-cluster-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  "$ROOT/scripts/pg.sh" stop "$data/pg"
}
trap cleanup EXIT INT TERM

say "starting PostgreSQL"
db_url="$("$ROOT/scripts/pg.sh" start "$data/pg")"
psql "$db_url" -qtc "SELECT 1 FROM pg_database WHERE datname = 'scheduler'" | grep -q 1 \
  || psql "$db_url" -qc "CREATE DATABASE scheduler"
db_url="${db_url%/*}/scheduler"

say "starting the Call Bridge and web bridge simulators"
cb_port="$(free_port)"
"$SERVER_BIN" simulators --data-dir "$data/simulators" --listen "127.0.0.1:$cb_port" &
pids+=($!)
for _ in $(seq 1 100); do
  [ -f "$data/simulators/demo-pki/ca.pem" ] && break
  sleep 0.1
done
pki="$data/simulators/demo-pki"

base_port="${PORT:-3000}"
for n in 1 2; do
  node="$data/node$n"
  mkdir -p "$node"
  # Each node's C2W certificates and trust, and enabled (checks first).
  "$SERVER_BIN" scheduler --data-dir "$node" c2w certs "$pki/c2w.key" "$pki/c2w.pem" >/dev/null
  "$SERVER_BIN" scheduler --data-dir "$node" c2w trust "$pki/ca.pem" >/dev/null
  "$SERVER_BIN" scheduler --data-dir "$node" enable
  port=$((base_port + n))
  say "starting node $n on http://127.0.0.1:$port"
  "$SERVER_BIN" serve --demo --listen "127.0.0.1:$port" --data-dir "$node" --site-root "$SITE_ROOT" \
    --database-url "$db_url" --callbridge-url "http://127.0.0.1:$cb_port" &
  pids+=($!)
done
for n in 1 2; do
  wait_healthy "http://127.0.0.1:$((base_port + n))" 60
done
sleep 1 # the C2W links come up
for n in 1 2; do
  echo "--- node $n: cms-scheduler scheduler --data-dir .cluster-data/node$n status"
  "$SERVER_BIN" scheduler --data-dir "$data/node$n" status || true
done
say "cluster running: http://127.0.0.1:$((base_port + 1)) and http://127.0.0.1:$((base_port + 2)) (demo / demo-scheduler); Ctrl-C stops it"
wait "${pids[@]}"
