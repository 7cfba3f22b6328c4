#!/usr/bin/env bash
# Runs the scheduler with its embedded defaults: SQLite in .demo-data/, a demo
# organizer account, on http://127.0.0.1:${PORT:-3000}. Installs what is
# missing and builds (scripts/build.sh), saying what it does and how long it
# has taken ("==> [mm:ss] ..." and "done in Ns: ..." for each long step). On
# a fresh 2-core machine it answered after 6 min 18 s (bench/run.sh --only
# firststart), nearly all of it compiling; with everything built, 5 s.
source "$(dirname "$0")/lib.sh"

PORT="${PORT:-3000}"
say "the demo: build, then serve on http://127.0.0.1:$PORT"
build_site
say "starting the scheduler"
cd "$ROOT"
# Says when the demo answers, while the server (this process, exec'd) runs.
(wait_healthy "http://127.0.0.1:$PORT" 120 >/dev/null 2>&1 &&
  say "the demo answers at http://127.0.0.1:$PORT (sign in as demo / demo-scheduler)") &
exec "$SERVER_BIN" serve --demo \
  --listen "127.0.0.1:$PORT" \
  --data-dir "$ROOT/.demo-data" \
  --site-root "$SITE_ROOT"
