#!/usr/bin/env bash
# Runs the scheduler with its embedded defaults: SQLite in .demo-data/, a demo
# organizer account, on http://127.0.0.1:${PORT:-3000}. Installs what is missing.
source "$(dirname "$0")/lib.sh"

ensure_build_tools
say "building the scheduler"
build_site
PORT="${PORT:-3000}"
say "starting the scheduler"
cd "$ROOT"
exec "$SERVER_BIN" serve --demo \
  --listen "127.0.0.1:$PORT" \
  --data-dir "$ROOT/.demo-data" \
  --site-root "$SITE_ROOT"
