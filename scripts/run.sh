#!/usr/bin/env bash
# `make run`: install, migrate, load the demo company on first start, serve on 127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/ensure-chromium.sh --no-browser  # Pango and fonts for the PDFs
PORT="${PORT:-8000}"
uv run --frozen python manage.py migrate --noinput -v0
uv run --frozen python manage.py demo_company --if-empty
# The background worker runs imports of large files; it stops with the server.
uv run --frozen python manage.py run_worker --no-startup-delay >data/worker.log 2>&1 &
WORKER_PID=$!
# Invitations and reminders of open cycles: one pass every 5 minutes.
uv run --frozen python manage.py send_reminders --loop --interval 300 >data/reminders.log 2>&1 &
REMINDERS_PID=$!
trap 'kill $WORKER_PID $REMINDERS_PID 2>/dev/null || true' EXIT INT TERM
echo "==> Serving on http://127.0.0.1:${PORT}/ (Ctrl+C to stop; worker log: data/worker.log)"
uv run --frozen python manage.py runserver "127.0.0.1:${PORT}"
