# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
.PHONY: run test lint format messages worker demo prod-web prod-worker prod-reminders

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

lint:
	uv run --frozen ruff check . && uv run --frozen ruff format --check innerclient tests benchmarks scripts

format:
	uv run --frozen ruff check --fix . && uv run --frozen ruff format innerclient tests benchmarks scripts

# Regenerate and compile the Russian and English catalogues (needs GNU gettext).
messages:
	uv run --frozen python manage.py makemessages -l ru -l en --no-location --no-obsolete -i ".venv/*" -i "data/*"
	uv run --frozen python scripts/fill_en_catalogue.py
	uv run --frozen python manage.py compilemessages -i ".venv" -i "data"

worker:
	uv run --frozen python manage.py run_worker

# Load the demo company (again) under the given slug: make demo SLUG=demo2
SLUG ?= demo
demo:
	uv run --frozen python manage.py demo_company --slug $(SLUG)

# Production processes (the Procfile's three), e.g. locally against PostgreSQL; docs/deploy.md
# has the environment. They refuse to start without DJANGO_SECRET_KEY, INNERCLIENT_LINK_KEY and
# INNERCLIENT_RATER_KEY (each its own random value). Over plain HTTP on a
# laptop also set DJANGO_SECURE_COOKIES=0, or sign-in cookies are never sent back.
prod-web prod-worker prod-reminders: export DJANGO_DEBUG ?= 0

prod-web:
	uv run --frozen python manage.py migrate --noinput
	uv run --frozen python manage.py collectstatic --noinput -v0
	uv run --frozen gunicorn --config innerclient/ops/gunicorn_conf.py innerclient.wsgi:application

prod-worker:
	uv run --frozen python manage.py run_worker

prod-reminders:
	uv run --frozen python manage.py send_reminders --loop --interval 300
