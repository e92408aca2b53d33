# One-word runners. `make run` and `make test` are the README's two commands.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# The lock files pin every package for Python 3.11 on Linux (the CI and Docker platform).
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock"

.PHONY: run test test-fast lint format install lock i18n bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Exact versions from the dev lock (runtime + redis + dev tools), then the project itself.
$(STAMP): $(DEV_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## run: set up, migrate, load the demo if the database is empty, serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/kepu db upgrade
	$(BIN)/kepu demo load --if-empty
	$(BIN)/kepu serve --host $(HOST) --port $(PORT)

## test: install dev dependencies, lint, run the whole suite
test: $(STAMP) lint
	$(BIN)/pytest $(PYTEST_ARGS)

## test-fast: the inner loop: SQLite only, no slow, browser or PostgreSQL tests, no lint,
##            spread over every core (on 2 cores: 83 s serial, 53 s with -n auto)
test-fast: $(STAMP)
	$(BIN)/pytest -q -n auto -m "not slow and not postgres" --ignore=tests/browser $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## lock: re-resolve both lock files after pyproject.toml changed (pins kept where still allowed);
##       `make lock UPGRADE=1` moves every pin to the newest allowed version
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(UV_COMPILE) $(if $(UPGRADE),--upgrade) -o $(LOCK)
	$(UV_COMPILE) $(if $(UPGRADE),--upgrade) --extra dev -o $(DEV_LOCK)

## i18n: compile the catalogs to the committed .mo files and check them:
##       messages.po (keyed refusals/notifications: same ids and placeholders in every locale) and
##       the pages' en/pages*.po (Chinese source ids extracted from templates and code by Babel:
##       nothing untranslated). `python -m tests.i18n.catalog missing` lists what to translate.
i18n: $(STAMP)
	$(BIN)/pybabel compile -d service/locale -D messages --statistics
	for po in service/locale/en/LC_MESSAGES/pages*.po; do \
		$(BIN)/pybabel compile -i $$po -o $${po%.po}.mo --statistics || exit 1; done
	$(BIN)/pytest -q -p no:cacheprovider tests/service/foundation/test_messages.py \
		tests/service/foundation/test_page_catalog.py

bench: $(STAMP)
	$(BIN)/python -m bench.matching

clean:
	rm -rf $(VENV) data/*.db
