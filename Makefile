# Epitrace: the two commands are `make demo` and `make test`.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
UV := UV_PYTHON_DOWNLOADS=never $(BIN)/uv
UV_VERSION := 0.9.9

.PHONY: install install-test demo test check lint format browser screenshot clean

$(BIN)/uv:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || $(PYTHON) -m venv --without-pip $(VENV)
	@if $(BIN)/python -m pip --version >/dev/null 2>&1; then \
		$(BIN)/python -m pip install -q uv==$(UV_VERSION); \
	else \
		$(BIN)/python scripts/bootstrap_uv.py; \
	fi

$(VENV)/.installed: $(BIN)/uv requirements/base.txt pyproject.toml
	$(UV) pip install -q --python $(BIN)/python -r requirements/base.txt
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements/test.txt
	$(UV) pip install -q --python $(BIN)/python -r requirements/test.txt
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make demo [PORT=8123]: migrate SQLite, seed if empty, serve with the job worker.
demo: install
	$(BIN)/epitrace demo --port $(PORT)

## A real browser for the browser tests: Debian's chromium (never a downloaded one).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-liberation >/dev/null; }

## Static checks: lint, format, types, Django's checks, no missing migration.
check: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/epitrace check --fail-level WARNING
	$(BIN)/epitrace makemigrations --check --dry-run

## make test: the whole suite, on PostgreSQL when reachable (always in CI), else SQLite.
test: install-test browser
	@DATABASE_URL=$$($(BIN)/python -m epitrace.testing.database) || exit 1; \
	REDIS_TEST_URL=$$($(BIN)/python -m epitrace.testing.database redis) || exit 1; \
	export DATABASE_URL EPITRACE_TEST_REDIS_URL="$$REDIS_TEST_URL"; \
	$(MAKE) --no-print-directory check && \
	$(BIN)/pytest -n 2 -p no:cacheprovider

## Retake the README screenshot of the case page.
screenshot: install-test browser
	EPITRACE_SCREENSHOT=docs/screenshot-case.png $(BIN)/pytest -p no:cacheprovider -k browser

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var/static var/test.sqlite3*
