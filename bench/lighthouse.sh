#!/usr/bin/env bash
# Lighthouse scores for the grid, a cell, the dashboard, notifications, a safe-space session
# (as its facilitator) and sign-in, with demo data,
# served by gunicorn as `make run` serves it. Needs Node 20+, npm and Debian's chromium.
#   bash bench/lighthouse.sh            → bench/out/lighthouse-*.json and a summary table
# VENV names the virtual environment (default .venv), as `make bench VENV=…` does.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-5077}"
OUT=bench/out
BIN="${VENV:-.venv}/bin"
mkdir -p "$OUT"
[ -x bench/node_modules/.bin/lighthouse ] || (cd bench && npm install --silent --no-audit --no-fund)

work="$(mktemp -d)"
export DATABASE_URL="sqlite:///$work/grid.db" SECRET_KEY=bench-only DEMO_PASSWORD=bench-password APP_ENV=demo
"$BIN"/flask --app grid_app db upgrade >/dev/null 2>&1
"$BIN"/flask --app grid_app seed-demo >/dev/null
# Served as `make run` serves: one process with threads (gunicorn.conf.py refuses several
# workers without REDIS_URL, since each would count sign-in attempts alone).
"$BIN"/gunicorn --config gunicorn.conf.py --no-control-socket --worker-class grid_app.serving.PollingThreadWorker --workers 1 --threads 8 --bind "127.0.0.1:$PORT" 'grid_app:create_app(serving=True)' \
  >"$work/gunicorn.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

# Sign in as the manager (who sees every page but safe-space sessions) and as the demo
# session's facilitator, and hand Lighthouse the session cookie.
cookie=$("$BIN"/python bench/sign_in.py "http://127.0.0.1:$PORT" manager@example.org bench-password)
facilitator=$("$BIN"/python bench/sign_in.py "http://127.0.0.1:$PORT" facilitator@example.org bench-password)

flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking --disable-component-update --disable-sync --no-first-run"
printf '%-14s %12s %14s %15s\n' page performance accessibility best-practices
for page in grid:/grids/grid-for-supporting-people cell:/cells/2 \
  dashboard:/grids/grid-for-supporting-people/dashboard notifications:/notifications \
  safe-space:/safe-space/1 sign-in:/sign-in; do
  name="${page%%:*}"; path="${page#*:}"
  headers="{\"Cookie\": \"$cookie\"}"
  [ "$name" = sign-in ] && headers='{}'
  [ "$name" = safe-space ] && headers="{\"Cookie\": \"$facilitator\"}"
  # Lighthouse now and then fails to record a trace on a busy machine: a second try.
  for attempt in 1 2; do
    CHROME_PATH=/usr/bin/chromium bench/node_modules/.bin/lighthouse "http://127.0.0.1:$PORT$path" \
      --chrome-flags="$flags" --only-categories=performance,accessibility,best-practices \
      --extra-headers="$headers" --output=json --output-path="$OUT/lighthouse-$name.json" --quiet \
      && break
    [ "$attempt" = 2 ] && exit 1
  done
  "$BIN"/python - "$OUT/lighthouse-$name.json" "$name" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
print(f"{sys.argv[2]:<14} {scores['performance']:>12} {scores['accessibility']:>14} {scores['best-practices']:>15}")
PY
done
