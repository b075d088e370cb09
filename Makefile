# CNSCĐ Portal — the two commands are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: install install-bench run test lint format bench bench-rollup bench-visits bench-roster bench-households stop messages robustness

$(VENV)/.installed: requirements.txt requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed requirements/bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/bench.txt
	touch $@

install: $(VENV)/.installed

install-bench: $(VENV)/.installed-bench

## make run: migrate, load the real units and demo data, print demo users, serve on http://127.0.0.1:8000/
run: export DEBUG ?= 1
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py sync_indicators
	$(PY) manage.py import_admin_units
	$(PY) manage.py seed_demo
	$(PY) manage.py generate_demo --scale small --if-missing
	$(PY) manage.py apply_reorganization
	$(PY) manage.py rollup_kpis --full
	@echo "Portal: http://127.0.0.1:8000/  (API docs: http://127.0.0.1:8000/api/docs/)"
	$(PY) manage.py runserver 127.0.0.1:8000

## make test: lint, migrations check and the whole suite on real PostgreSQL and Redis
test: install
	$(PY) scripts/test.py

lint: install
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix . && $(PY) -m ruff format .

## make stop: stop the embedded PostgreSQL started by `make run` (if any)
stop: install
	$(PY) -c "from cnscd.embedded import stop_embedded_database as s; s()"

## make bench-rollup: full/incremental rollup vs a GROUPING SETS reference, /kpis/ p95, pages, province report
bench-rollup: install-bench
	$(PY) bench/bench_rollup.py

## make bench-visits: single POST req/s and bulk visits/s against gunicorn on loopback (docs/TARGETS.md)
bench-visits: install-bench
	$(PY) bench/bench_visits.py

## make bench-roster: import of a 5,500-row roster xlsx, time and peak memory vs docs/TARGETS.md
bench-roster: install-bench
	$(PY) bench/bench_roster_import.py

## make bench-households: import of a 100,000-row household xlsx vs django-import-export's default import (docs/TARGETS.md)
bench-households: install-bench
	$(PY) bench/bench_household_import.py

messages: install
	cd $(CURDIR) && $(PY) manage.py makemessages -l vi --ignore=.venv && $(PY) manage.py compilemessages --ignore=.venv

## make bench: the whole docs/TARGETS.md speed table on PostgreSQL and Redis, in a database of its own (cnscd_bench,
## or BENCH_DATABASE_URL) holding the province data set (BENCH_SCALE=small for one district); written to
## bench/RESULTS.md. Extra arguments: make bench ARGS="--scale small --quick"
bench: install-bench
	$(PY) bench/run.py $(ARGS)

## make robustness: the docs/TARGETS.md robustness table (fuzzing, access matrix, bad files, exports, offline sync, Redis
## down, Celery worker killed, PostgreSQL restarted, check --deploy, brute force) in a database of its own
## (cnscd_robust, or ROBUST_DATABASE_URL) and Redis database 11; written to robustness/RESULTS.md.
## Extra arguments: make robustness ARGS="--quick" or ARGS="--only fuzz,access"
robustness: install-bench
	$(PY) robustness/run.py $(ARGS)
