#!/usr/bin/env bash
# Measures the scheduler on this machine; every figure is printed next to a
# baseline measured in the same run and the ratio to it. No thresholds: this
# reports, it does not pass or fail. See bench/README.md.
#
#   bench/run.sh [--only home,static,list,create,creates,memory,wasm,firststart] [--append FILE]
#
# BENCH_DURATION (default 10s) is each wrk run's length; BENCH_PROFILE
# (default bench-server, or release) the Cargo profile of the server;
# BENCH_SKIP_BUILD=1 uses the binary already built; BENCH_NODE_WRAPPER a
# profiler to run the node under (see start_node).
# `creates` (1 against 50 clients, SQLite, PostgreSQL, a Call Bridge that
# answers at once or in 20 ms) and `firststart` (minutes, both cores) are
# not in the default list: --only creates, --only firststart.
source "$(dirname "$0")/../scripts/lib.sh"

only="home,static,list,create,memory"
append=""
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="$2"; shift 2 ;;
    --append) append="$2"; shift 2 ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
wants() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

DURATION="${BENCH_DURATION:-10s}"
PROFILE="${BENCH_PROFILE:-bench-server}"
HOME_MEETINGS=50
LIST_MEETINGS=10000
MEMORY_BRIDGES=100
CREATES=200
HELPERS="$ROOT/bench/helpers.py"
command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)" >&2; exit 1; }

if [ "$only" != wasm ] && [ "$only" != firststart ] && [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  say "building the server (profile $PROFILE)"
  (cd "$ROOT" && cargo build --profile "$PROFILE" -p server)
fi
SERVER_BIN="$CARGO_TARGET_DIR/$PROFILE/cms-scheduler"

work="$(mktemp -d "${TMPDIR:-/tmp}/cms-bench.XXXXXX")"
chmod 755 "$work" # PostgreSQL runs as its own user under it
pids=()
pg_dir=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -z "$pg_dir" ] || "$ROOT/scripts/pg.sh" stop "$pg_dir"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The site root: pages reference /pkg/..., which wrk never fetches, so no
# WASM build is needed; the baselines' static files are put in it.
site="$work/site"
mkdir -p "$site/pkg" "$site/bench"

rows=()
row() { # figure, value, baseline, unit; prints and keeps one table row
  local ratio
  ratio="$(python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{a / b:.2f}' if b else '-')" "$2" "$3")"
  rows+=("$(printf '| %-48s | %12s | %12s | %6s | %-6s |' "$1" "$2" "$3" "$ratio" "$4")")
  echo "${rows[-1]}"
}

# start_node NAME [extra serve flags...]: sets NODE_URL, NODE_PID, NODE_DIR.
start_node() {
  local name="$1"; shift
  NODE_DIR="$work/$name"
  mkdir -p "$NODE_DIR"
  local port
  port="$(free_port)"
  # BENCH_NODE_WRAPPER (e.g. "perf record -g -o FILE --", "heaptrack -o
  # FILE"): the node runs under it, for a profile of the same workload.
  # shellcheck disable=SC2086
  ${BENCH_NODE_WRAPPER:-} "$SERVER_BIN" serve --demo --listen "127.0.0.1:$port" --data-dir "$NODE_DIR" \
    --site-root "$site" "$@" >"$NODE_DIR/server.log" 2>&1 &
  NODE_PID=$!
  pids+=("$NODE_PID")
  NODE_URL="http://127.0.0.1:$port"
  wait_healthy "$NODE_URL" 60 || { cat "$NODE_DIR/server.log" >&2; exit 1; }
}

token_for() { # data dir, [database url]
  "$SERVER_BIN" user token demo --data-dir "$1" ${2:+--database-url "$2"} --name "bench-$RANDOM"
}

# run_wrk URL FILE [header]: prints "requests/s p50 p99" of one wrk run.
run_wrk() {
  local url="$1" out="$2" hdr="${3:-}"
  if [ -n "$hdr" ]; then
    wrk -t2 -c16 -d"$DURATION" --timeout 10s --latency -H "$hdr" "$url" >"$out"
  else
    wrk -t2 -c16 -d"$DURATION" --timeout 10s --latency "$url" >"$out"
  fi
  local parsed rps p50 p99 bad err
  parsed="$(python3 "$HELPERS" wrk-parse "$out")"
  read -r rps p50 p99 bad err <<<"$parsed"
  if [ "$bad" != 0 ]; then
    echo "wrk on $url: $bad answers were not 2xx or 3xx; see below" >&2
    cat "$out" >&2
    exit 1
  fi
  [ "$err" = 0 ] || echo "note: wrk on $url: $(grep 'Socket errors' "$out")" >&2
  echo "$rps $p50 $p99"
}

# compare LABEL URL BASELINE_URL HEADER: wrk both, one after the other.
compare() {
  local label="$1" url="$2" base="$3" hdr="$4" tag
  tag="$(echo "$label" | tr -c 'a-z0-9' '-')"
  local out r b
  out="$(run_wrk "$url" "$work/wrk-$tag.txt" "$hdr")"
  read -r -a r <<<"$out"
  out="$(run_wrk "$base" "$work/wrk-$tag-static.txt" "$hdr")"
  read -r -a b <<<"$out"
  row "$label: requests/s" "${r[0]}" "${b[0]}" "req/s"
  row "$label: p50 latency" "${r[1]}" "${b[1]}" "ms"
  row "$label: p99 latency" "${r[2]}" "${b[2]}" "ms"
}

# Saves what URL answers (with the header) as a static file; prints its URL.
static_copy() { # base url, path, header, file name
  curl -fsS -H "$3" "$1$2" -o "$site/bench/$4"
  echo "$1/bench/$4"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(uname -sr); server profile $PROFILE; wrk -t2 -c16 -d$DURATION"
echo "baselines: the same bytes as a static file from the same server, or as noted"
printf '| %-48s | %12s | %12s | %6s | %-6s |\n' figure measured baseline ratio unit
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..50})" "$(printf -- '-%.0s' {1..14})" \
  "$(printf -- '-%.0s' {1..14})" "--------" "--------"

# 1. The home page, signed in, with 50 meetings.
if wants home; then
  start_node home
  token="$(token_for "$NODE_DIR")"
  python3 "$HELPERS" create "$NODE_URL" "$token" "$HOME_MEETINGS" "Bench home" >/dev/null
  jar="$work/home/cookies.txt"
  curl -fsS -c "$jar" -o /dev/null "$NODE_URL/login"
  csrf="$(awk '$6 == "csrf" { print $7 }' "$jar")"
  curl -fsS -b "$jar" -c "$jar" -o /dev/null \
    --data-urlencode username=demo --data-urlencode password=demo-scheduler \
    --data-urlencode "csrf=$csrf" --data-urlencode next=/ "$NODE_URL/auth/login"
  cookie="Cookie: $(awk '$6 == "sid" || $6 == "csrf" { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar")"
  static="$(static_copy "$NODE_URL" / "$cookie" home.html)"
  grep -q "Bench home $HOME_MEETINGS" "$site/bench/home.html" || grep -q "Bench home" "$site/bench/home.html" \
    || { echo "the home page does not show the meetings: not signed in?" >&2; exit 1; }
  compare "home page (signed in, $HOME_MEETINGS meetings)" "$NODE_URL/" "$static" "$cookie"
  # How far the static baseline itself is from the server's cheapest answer.
  out="$(run_wrk "$static" "$work/wrk-static.txt" "$cookie")"
  read -r -a s <<<"$out"
  out="$(run_wrk "$NODE_URL/healthz" "$work/wrk-healthz.txt" "$cookie")"
  read -r -a h <<<"$out"
  row "static file vs /healthz (same cookie): req/s" "${s[0]}" "${h[0]}" "req/s"
  kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true
fi

# 1b. A built static file as a browser fetches it (/pkg: ServeDir, the Brotli
# copy, immutable caching), against /healthz with the same request headers.
if wants static; then
  start_node static
  # The style sheet as scripts/build.sh leaves it: content-hashed name, .br
  # and .gz beside it (its hash file kept out of the site root, so the pages
  # are not changed for the other figures).
  cp "$ROOT/style/main.css" "$site/pkg/cms-scheduler.css"
  node "$ROOT/scripts/site-assets.mjs" "$site/pkg" cms-scheduler "$work/hash.txt" 11 >/dev/null
  css="$(basename "$(ls "$site/pkg"/cms-scheduler.*.css)")"
  enc="Accept-Encoding: br, gzip"
  curl -fsS -D "$work/static-headers.txt" -o /dev/null -H "$enc" "$NODE_URL/pkg/$css"
  grep -qi '^cache-control: public, max-age=31536000, immutable' "$work/static-headers.txt" \
    && grep -qi '^content-encoding: br' "$work/static-headers.txt" \
    || { echo "/pkg/$css is not served immutable and Brotli-compressed:" >&2; cat "$work/static-headers.txt" >&2; exit 1; }
  size="$(stat -c %s "$site/pkg/$css.br")"
  out="$(run_wrk "$NODE_URL/pkg/$css" "$work/wrk-pkg.txt" "$enc")"
  read -r -a s <<<"$out"
  out="$(run_wrk "$NODE_URL/healthz" "$work/wrk-pkg-healthz.txt" "$enc")"
  read -r -a h <<<"$out"
  row "static /pkg file (CSS, $size B br) vs /healthz: req/s" "${s[0]}" "${h[0]}" "req/s"
  row "static /pkg file vs /healthz: p99 latency" "${s[2]}" "${h[2]}" "ms"
  kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true
fi

# fill_meetings TOKEN [DATABASE_URL]: the node at NODE_URL/NODE_DIR gets
# LIST_MEETINGS meetings: one made through the API, the rest copied from it
# by one SQL transaction.
fill_meetings() {
  local token="$1" db="${2:-}" out first
  out="$(python3 "$HELPERS" create "$NODE_URL" "$token" 1 "Bench list template")"
  first="${out#* }"
  python3 "$HELPERS" meetings-sql "$first" $((LIST_MEETINGS - 1)) >"$work/meetings.sql"
  if [ -z "$db" ]; then
    sqlite3 -bail "$NODE_DIR/scheduler.db" <"$work/meetings.sql" >/dev/null
  else
    psql -q -v ON_ERROR_STOP=1 "$db" -f "$work/meetings.sql" >/dev/null
  fi
}

# start_simulators N [LATENCY_MS]: the Call Bridge simulator (each answer
# delayed by LATENCY_MS, default 0) and N web bridge simulators in one
# process (`cms-scheduler simulators`); sets CB_URL, SIM_PID, SIM_DIR.
start_simulators() {
  local port
  port="$(free_port)"
  SIM_DIR="$work/simulators-$1-${2:-0}-$RANDOM"
  export SCHEDULER_CALLBRIDGE_PASSWORD="${SCHEDULER_CALLBRIDGE_PASSWORD:-bench-$RANDOM$RANDOM}"
  "$SERVER_BIN" simulators --data-dir "$SIM_DIR" --listen "127.0.0.1:$port" --web-bridges "$1" \
    --latency-ms "${2:-0}" >"$SIM_DIR.log" 2>&1 &
  SIM_PID=$!
  pids+=("$SIM_PID")
  CB_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 200); do
    [ -f "$SIM_DIR/demo-pki/ca.pem" ] && curl -s -o /dev/null "$CB_URL/" && return 0
    sleep 0.1
  done
  echo "the simulators did not start" >&2; cat "$SIM_DIR.log" >&2; exit 1
}

# start_smtp_sink CERT KEY: an SMTP server with STARTTLS (CERT, KEY) that
# accepts every message and keeps none (aiosmtpd's Sink handler), in a
# process of its own; sets SMTP_PORT, SMTP_PID. The creates runs send their
# invitations to it, as a production node sends to its relay, rather than
# to demo mode's catcher (a file and two fsyncs per message).
start_smtp_sink() {
  python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet aiosmtpd \
    || python3 -m pip install --quiet --break-system-packages aiosmtpd
  SMTP_PORT="$(free_port)"
  python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Sink \
    --tlscert "$1" --tlskey "$2" >"$work/smtp-sink-$SMTP_PORT.log" 2>&1 &
  SMTP_PID=$!
  pids+=("$SMTP_PID")
  for _ in $(seq 1 100); do
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
      "$SMTP_PORT" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the SMTP sink did not start" >&2; cat "$work/smtp-sink-$SMTP_PORT.log" >&2; exit 1
}

# 2. The list API with 10,000 meetings, on SQLite and on PostgreSQL.
list_bench() { # label, [database url]
  local label="$1" db="${2:-}" token static auth
  start_node "list-$label" ${db:+--database-url "$db"}
  token="$(token_for "$NODE_DIR" "$db")"
  fill_meetings "$token" "$db"
  auth="Authorization: Bearer $token"
  static="$(static_copy "$NODE_URL" "/api/v1/meetings?maxMeetings=100" "$auth" "list-$label.json")"
  python3 -c 'import json, sys; n = len(json.load(open(sys.argv[1]))["meetings"]); assert n == 100, n' \
    "$site/bench/list-$label.json"
  compare "list API ($label, $LIST_MEETINGS mtgs, 100/page)" \
    "$NODE_URL/api/v1/meetings?maxMeetings=100" "$static" "$auth"
  kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true
}
if wants list; then
  list_bench sqlite
  ensure_postgresql
  pg_dir="$work/pg"
  pg_url="$("$ROOT/scripts/pg.sh" start "$pg_dir")"
  list_bench postgresql "$pg_url"
fi

# 3. Meetings created per second against raw Call Bridge simulator calls.
if wants create; then
  start_node create
  token="$(token_for "$NODE_DIR")"
  out="$(python3 "$HELPERS" create "$NODE_URL" "$token" "$CREATES" "Bench create")"
  t_sched="${out%% *}"
  kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true
  start_simulators 0
  t_raw="$(python3 "$HELPERS" raw-cospaces "$CB_URL" scheduler \
    "$SCHEDULER_CALLBRIDGE_PASSWORD" "$CREATES" "bench-raw")"
  kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null || true
  out="$(python3 -c '
import sys; n, a, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"{n / a:.1f} {n / b:.1f} {a / n * 1000:.3f} {b / n * 1000:.3f}")' "$CREATES" "$t_sched" "$t_raw")"
  read -r per_s raw_per_s ms ms_raw <<<"$out"
  row "creates: meetings/s ($CREATES sequential)" "$per_s" "$raw_per_s" "/s"
  row "creates: ms per meeting (vs POST coSpaces)" "$ms" "$ms_raw" "ms"
  overhead="$(python3 -c 'import sys; print(f"{float(sys.argv[1]) - float(sys.argv[2]):.3f}")' "$ms" "$ms_raw")"
  echo "scheduler overhead per meeting over one raw coSpace POST: $overhead ms"
fi

# 3b. Creates at once (issue 21): the node against a Call Bridge simulator
# in a process of its own, so that the node's CPU time is the scheduler's
# alone. Each run: a warm-up of 20 creates (connections, kept templates),
# then wrk with bench/create.lua (one new meeting with one attendee per
# request) for BENCH_CREATE_DURATION with 1 client, then with 50. The CPU
# time per create is the node's (utime + stime) over the 1-client run; the
# Call Bridge requests per create come from the node's metrics over it.
CREATE_CLIENTS=50
CREATE_DURATION="${BENCH_CREATE_DURATION:-10s}"
cpu_ms() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1000 / t }' "/proc/$1/stat"; }
# wrk_creates CLIENTS FILE: prints "requests/s p50 p99 non-2xx socket-errors count".
wrk_creates() {
  local threads=1
  [ "$1" -gt 1 ] && threads=2
  wrk -t"$threads" -c"$1" -d"$CREATE_DURATION" --timeout 30s --latency -s "$ROOT/bench/create.lua" \
    "$NODE_URL" -- "$token" "$tpl" "bench-$1" >"$2"
  echo "$(python3 "$HELPERS" wrk-parse "$2") $(python3 "$HELPERS" wrk-count "$2")"
}
creates_bench() { # label, Call Bridge latency in ms, [database url]
  local label="$1" lat="$2" db="${3:-}" mport metrics cb0 cb1 post0 post1 cpu0 cpu1 sent0 sent1 out
  start_simulators 0 "$lat"
  # The relay's certificate: the simulators' web bridge one (127.0.0.1).
  start_smtp_sink "$SIM_DIR/demo-pki/bridge.pem" "$SIM_DIR/demo-pki/bridge.key"
  mport="$(free_port)"
  start_node "creates-$label" --callbridge-url "$CB_URL" --metrics-listen "127.0.0.1:$mport" \
    ${db:+--database-url "$db"}
  metrics="http://127.0.0.1:$mport/metrics"
  "$SERVER_BIN" scheduler --data-dir "$NODE_DIR" email server 127.0.0.1 "$SMTP_PORT" >/dev/null
  "$SERVER_BIN" scheduler --data-dir "$NODE_DIR" email trust "$SIM_DIR/demo-pki/ca.pem" >/dev/null
  token="$(token_for "$NODE_DIR" "$db")"
  tpl="$(python3 "$HELPERS" template "$NODE_URL" "$token")"
  python3 "$HELPERS" create "$NODE_URL" "$token" 20 "Bench warm-up" >/dev/null
  sent0="$(python3 "$HELPERS" metric-sum "$metrics" scheduler_mail_sends_total 'outcome="sent"')"
  cb0="$(python3 "$HELPERS" metric-sum "$metrics" scheduler_callbridge_requests_total)"
  post0="$(python3 "$HELPERS" metric-sum "$metrics" scheduler_callbridge_requests_total 'operation="POST ')"
  cpu0="$(cpu_ms "$NODE_PID")"
  read -r -a one <<<"$(wrk_creates 1 "$work/wrk-creates-$label-1.txt")"
  cpu1="$(cpu_ms "$NODE_PID")"
  cb1="$(python3 "$HELPERS" metric-sum "$metrics" scheduler_callbridge_requests_total)"
  post1="$(python3 "$HELPERS" metric-sum "$metrics" scheduler_callbridge_requests_total 'operation="POST ')"
  cbt0="$(python3 "$HELPERS" metric-sum-exact "$metrics" scheduler_callbridge_request_duration_seconds_sum)"
  wrt0="$(python3 "$HELPERS" metric-sum-exact "$metrics" scheduler_db_write_duration_seconds_sum)"
  turn_s0="$(python3 "$HELPERS" metric-sum-exact "$metrics" scheduler_db_write_turn_wait_seconds_sum)"
  turn_n0="$(python3 "$HELPERS" metric-sum "$metrics" scheduler_db_write_turn_wait_seconds_count)"
  read -r -a many <<<"$(wrk_creates "$CREATE_CLIENTS" "$work/wrk-creates-$label-$CREATE_CLIENTS.txt")"
  turn_s1="$(python3 "$HELPERS" metric-sum-exact "$metrics" scheduler_db_write_turn_wait_seconds_sum)"
  cbt1="$(python3 "$HELPERS" metric-sum-exact "$metrics" scheduler_callbridge_request_duration_seconds_sum)"
  wrt1="$(python3 "$HELPERS" metric-sum-exact "$metrics" scheduler_db_write_duration_seconds_sum)"
  turn_n1="$(python3 "$HELPERS" metric-sum "$metrics" scheduler_db_write_turn_wait_seconds_count)"
  sent1="$(python3 "$HELPERS" metric-sum "$metrics" scheduler_mail_sends_total 'outcome="sent"')"
  out="$(python3 -c '
import sys
n, cb, post, cpu = (float(a) for a in sys.argv[1:])
print(f"{cb / n:.2f} {post / n:.2f} {cpu / n:.2f}")' "${one[5]}" $((cb1 - cb0)) $((post1 - post0)) $((cpu1 - cpu0)))"
  read -r per_create posts cpu <<<"$out"
  row "creates $label: Call Bridge requests/create (vs POSTs)" "$per_create" "$posts" "req"
  [ "$lat" != 0 ] || row "creates $label: node CPU ms/create (vs 2 ms goal)" "$cpu" 2 "ms"
  row "creates $label: $CREATE_CLIENTS clients vs 1, creates/s" "${many[0]}" "${one[0]}" "/s"
  row "creates $label: $CREATE_CLIENTS clients p99 vs 1-client p50" "${many[2]}" "${one[1]}" "ms"
  row "creates $label: 1 client p99 (vs p50)" "${one[2]}" "${one[1]}" "ms"
  row "creates $label: $CREATE_CLIENTS clients, non-2xx + socket errors" \
    "$((many[3] + many[4]))" "${many[5]}" "of"
  row "creates $label: invitations sent over SMTP (vs creates)" "$((sent1 - sent0))" \
    "$((one[5] + many[5]))" "mails"
  # SQLite: how long a write waited for this process's turn at the writer
  # (db::write_turn), on average over the 50-client run, per create.
  if [ "$turn_n1" -gt "$turn_n0" ]; then
    row "creates $label: $CREATE_CLIENTS clients, writer wait/create (vs p50)" \
      "$(python3 -c 'import sys; s0, s1, n = map(float, sys.argv[1:]); print(f"{(s1 - s0) / n * 1000:.3f}")' \
        "$turn_s0" "$turn_s1" "${many[5]}")" "${many[1]}" "ms"
  fi
  # Where a create's time goes over the 50-client run: waiting for the
  # Call Bridge's answers, and for its writes (queue and commit).
  per_create_ms() { python3 -c 'import sys; a, b, n = map(float, sys.argv[1:]); print(f"{(b - a) / n * 1000:.3f}")' "$@"; }
  row "creates $label: $CREATE_CLIENTS clients, Call Bridge time/create (vs p50)" \
    "$(per_create_ms "$cbt0" "$cbt1" "${many[5]}")" "${many[1]}" "ms"
  row "creates $label: $CREATE_CLIENTS clients, write time/create (vs p50)" \
    "$(per_create_ms "$wrt0" "$wrt1" "${many[5]}")" "${many[1]}" "ms"
  if [ "$lat" != 0 ]; then
    ideal="$(python3 -c 'import sys; c, r, l = map(float, sys.argv[1:]); print(f"{c / (r * l / 1000):.1f}")' \
      "$CREATE_CLIENTS" "$per_create" "$lat")"
    row "creates $label: $CREATE_CLIENTS clients vs ideal $CREATE_CLIENTS/(req x $lat ms)" "${many[0]}" "$ideal" "/s"
  fi
  kill "$NODE_PID" "$SIM_PID" "$SMTP_PID"; wait "$NODE_PID" "$SIM_PID" "$SMTP_PID" 2>/dev/null || true
}
if wants creates; then
  creates_bench sqlite 0
  creates_bench sqlite-cb20ms 20
  ensure_postgresql
  [ -n "$pg_dir" ] || { pg_dir="$work/pg"; pg_url="$("$ROOT/scripts/pg.sh" start "$pg_dir")"; }
  creates_bench postgresql 0 "$pg_url"
fi

# 4. Memory of one node holding 10,000 meetings and 100 C2W links (mutual
# TLS, heartbeats) to web bridge simulators in another process, after a wrk
# run on the list API; against the same node just started, empty, unlinked.
if wants memory; then
  start_simulators "$MEMORY_BRIDGES"
  NODE_DIR="$work/memory"
  mkdir -p "$NODE_DIR"
  "$SERVER_BIN" scheduler --data-dir "$NODE_DIR" c2w certs "$SIM_DIR/demo-pki/c2w.key" "$SIM_DIR/demo-pki/c2w.pem" >/dev/null
  "$SERVER_BIN" scheduler --data-dir "$NODE_DIR" c2w trust "$SIM_DIR/demo-pki/ca.pem" >/dev/null
  start_node memory --callbridge-url "$CB_URL"
  idle="$(rss_kb "$NODE_PID")"
  "$SERVER_BIN" scheduler --data-dir "$NODE_DIR" enable >/dev/null
  up=0
  for _ in $(seq 1 300); do
    up="$("$SERVER_BIN" scheduler --data-dir "$NODE_DIR" status | grep -c '^  webbridge .* UP ' || true)"
    [ "$up" -ge "$MEMORY_BRIDGES" ] && break
    sleep 0.2
  done
  [ "$up" -ge "$MEMORY_BRIDGES" ] || { echo "only $up of $MEMORY_BRIDGES C2W links came up" >&2; exit 1; }
  token="$(token_for "$NODE_DIR")"
  fill_meetings "$token"
  run_wrk "$NODE_URL/api/v1/meetings?maxMeetings=100" "$work/wrk-memory.txt" "Authorization: Bearer $token" >/dev/null
  row "memory: RSS, $LIST_MEETINGS meetings, $up C2W links" "$(rss_kb "$NODE_PID")" "$idle" "KiB"
  kill "$NODE_PID" "$SIM_PID"; wait "$NODE_PID" "$SIM_PID" 2>/dev/null || true
fi

# 5. The WASM bundle, gzip -9 and the Brotli copy the server sends, against
# uncompressed (a release build of the browser side by scripts/build.sh).
if wants wasm; then
  "$ROOT/scripts/build.sh" --release --frontend-only >"$work/build.log" 2>&1 \
    || { tail -n 30 "$work/build.log" >&2; exit 1; }
  load_leptos_config
  pkg="$LEPTOS_SITE_ROOT/$LEPTOS_SITE_PKG_DIR"
  for f in "$pkg"/*.wasm "$pkg"/*.js; do
    raw="$(stat -c %s "$f")"
    gz="$(gzip -9 -c "$f" | wc -c)"
    name="$(basename "$f" | sed -E 's/\.[A-Za-z0-9_-]{22}\././')"
    row "bundle: $name gzip -9" "$gz" "$raw" "bytes"
    [ ! -f "$f.br" ] || row "bundle: $name brotli (as served)" "$(stat -c %s "$f.br")" "$raw" "bytes"
    # Issue 21's goal for the WASM: at most 200 KB (204,800 bytes) gzip.
    case "$f" in *.wasm) row "bundle: $name gzip -9 / goal 200 KB" "$gz" 204800 "bytes" ;; esac
  done
fi

# 6. The first start (only with --only firststart: it takes minutes and both
# cores): a clone of HEAD run by scripts/demo.sh as on a fresh machine, with
# an empty home directory (no build cache, no crates downloaded, no
# wasm-bindgen-cli or npm packages; the Rust toolchain and Debian packages
# are taken as installed), until the demo answers. Baseline: demo.sh again
# in the same clone, everything built.
if wants firststart; then
  fresh="$work/fresh"
  mkdir -p "$fresh/home/.cargo/bin"
  proxy="$(command -v rustup)"
  for tool in cargo rustc rustup rustdoc rustfmt cargo-clippy clippy-driver cargo-fmt; do
    ln -s "$proxy" "$fresh/home/.cargo/bin/$tool"
  done
  git clone -q "$ROOT" "$fresh/clone"
  # first_start LOG: seconds from demo.sh's start until /healthz answers.
  first_start() {
    local port t0 pid
    port="$(free_port)"
    t0=$(date +%s)
    (cd "$fresh/clone" && exec setsid env -u CARGO_TARGET_DIR -u CMS_RUN_START -u XDG_CACHE_HOME \
      HOME="$fresh/home" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
      PATH="$fresh/home/.cargo/bin:/usr/local/bin:/usr/bin:/bin" PORT="$port" \
      bash scripts/demo.sh) >"$1" 2>&1 &
    pid=$!
    pids+=("$pid")
    until curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; do
      kill -0 "$pid" 2>/dev/null || { tail -n 30 "$1" >&2; exit 1; }
      sleep 1
    done
    echo $(($(date +%s) - t0))
    kill -- "-$pid" 2>/dev/null || kill "$pid"
    wait "$pid" 2>/dev/null || true
  }
  cold="$(first_start "$work/first-start.log")"
  warm="$(first_start "$work/second-start.log")"
  row "first start: fresh machine to the demo answering" "$cold" "$warm" "s"
  grep -E 'done in [0-9]+s' "$work/first-start.log" | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
fi

if [ -n "$append" ]; then
  [ -s "$append" ] || printf '# Benchmark results\n\nAppended by `bench/run.sh --append FILE`; see bench/README.md.\n' >"$append"
  {
    echo
    echo "## $(date -u +%Y-%m-%dT%H:%MZ) $(git -C "$ROOT" rev-parse --short HEAD)"
    echo
    echo "$(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM; profile $PROFILE; wrk -t2 -c16 -d$DURATION"
    echo
    printf '| %-48s | %12s | %12s | %6s | %-6s |\n' figure measured baseline ratio unit
    echo "|---|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
  } >>"$append"
  say "appended to $append"
fi
