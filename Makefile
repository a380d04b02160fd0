# The newcomer path: `make run` serves the demo, `make test` runs lint and every test.
# Both build .venv/ from uv.lock first and are safe to run again.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(abspath $(BIN)/python)

.PHONY: install run worker test lint typecheck pytest messages lock clean
.DEFAULT_GOAL := run

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.synced: pyproject.toml uv.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@# Compiled once here: with PYTHONDONTWRITEBYTECODE set, every process (each test's server) would
	@# otherwise compile Django, Twisted and OR-Tools again from source, seconds each time.
	$(BIN)/uv sync --frozen --inexact --compile-bytecode
	touch $@

install: $(VENV)/.synced

run: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo --if-empty
	@# A development VAPID key pair for Web Push (var/vapid.json), made once; production sets WEBPUSH_VAPID_*.
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py vapid_keys --if-missing
	@echo "Serving the demo at http://127.0.0.1:8000 (demo password: circles-demo)"
	@[ -n "$${JANUS_URL:-}" ] || echo "Live video: browser to browser (the stage and 6 viewers); set JANUS_URL for everyone (docs/operations.md, The SFU)"
	@# The worker runs beside daphne (imports, invitations, reminders) and stops with it.
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py run_huey --quiet & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=$${DEBUG:-true} $(BIN)/python -m coaching.server -b 127.0.0.1 -p 8000 coaching.asgi:application

worker: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py run_huey

test: lint typecheck pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

# Two workers (pytest-xdist), each with its own test database, Redis prefix, Janus and servers; a test file
# stays on one worker, so its browser and seeded data are made once. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Refresh the Spanish catalogue after adding strings (needs GNU gettext), then translate the new entries.
messages: install
	DEBUG=true $(BIN)/python manage.py makemessages -l es --no-location --ignore=.venv --ignore=var
	DEBUG=true $(BIN)/python manage.py compilemessages -l es --ignore=.venv

lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv lock

clean:
	rm -rf $(VENV) var/*.sqlite3 var/static

# Benchmarks (docs/benchmarks.md): chat fan-out against the baselines (ours on daphne and on uvicorn, with the
# CPU of each stage), history paging, search, live media through Janus, then a member 150 ms away in Chromium.
# They need PostgreSQL (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres) and redis-server;
# bench.sfu also needs janus, bench.distance chromium.
.PHONY: bench bench-quick
bench: install
	$(BIN)/python -m bench.chat --profile
	$(BIN)/python -m bench.history
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.sfu
	$(BIN)/python -m bench.distance
	$(BIN)/python -m bench.distance --server uvicorn --output var/bench-distance-uvicorn.json

bench-quick: install
	$(BIN)/python -m bench.chat --quick
	$(BIN)/python -m bench.history --quick
	$(BIN)/python -m bench.search --quick
	$(BIN)/python -m bench.distance --repeats 2
