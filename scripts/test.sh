#!/usr/bin/env bash
# `make test`: install what tests need, lint, then run the whole suite on SQLite and PostgreSQL.
# PostgreSQL: $TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/innerclient.
# Under CI=true an unreachable PostgreSQL fails the run; elsewhere it is skipped with a warning.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/ensure-chromium.sh

echo "==> Lint (ruff)"
uv run --frozen ruff check .
uv run --frozen ruff format --check innerclient tests benchmarks scripts

echo "==> Django checks and migrations in sync"
uv run --frozen python manage.py check
uv run --frozen python manage.py makemigrations --check --dry-run >/dev/null

PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/innerclient}"
pg_reachable() {
  uv run --frozen python - "$PG_URL" <<'PY'
import sys, psycopg, dj_database_url
cfg = dj_database_url.parse(sys.argv[1])
try:
    psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"],
                    password=cfg["PASSWORD"] or None, dbname="postgres", connect_timeout=5).close()
except Exception as error:
    print(f"PostgreSQL unreachable: {error}", file=sys.stderr)
    sys.exit(1)
PY
}

# Two workers (one per CPU of the CI machine); a test file stays on one worker, so a module's
# demo company is built once. PYTEST_WORKERS=0 runs in one process.
WORKERS="${PYTEST_WORKERS:-2}"
XDIST=()
if [ "$WORKERS" != "0" ]; then XDIST=(-n "$WORKERS" --dist loadfile); fi

echo "==> Test suite on SQLite"
DATABASE_URL="sqlite:///$(pwd)/data/test.sqlite3" uv run --frozen pytest "${XDIST[@]}" "$@"

if pg_reachable; then
  echo "==> Test suite on PostgreSQL ($PG_URL)"
  DATABASE_URL="$PG_URL" uv run --frozen pytest "${XDIST[@]}" "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required under CI=true and is unreachable at $PG_URL" >&2
  exit 1
else
  echo "WARNING: PostgreSQL unreachable at $PG_URL; the PostgreSQL run was SKIPPED" >&2
fi
