# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
.PHONY: run test lint format messages worker demo

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
	uv run --frozen python manage.py db_worker

# Load the demo company (again) under the given slug: make demo SLUG=demo2
SLUG ?= demo
demo:
	uv run --frozen python manage.py demo_company --slug $(SLUG)
