# Two entry points: `make run` (demo on SQLite at http://127.0.0.1:8000) and `make test` (lint, migrations, tests).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1:8000
DEV_ENV := DEBUG=true HTTPS=false

.PHONY: run test setup setup-test lint migrations-check bench bench-report bench-load serve-prod worker clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

run: setup
	mkdir -p var
	$(DEV_ENV) $(PY) manage.py migrate --no-input -v0
	$(DEV_ENV) $(PY) manage.py load_divisions
	$(DEV_ENV) $(PY) manage.py seed_demo
	# The task worker runs beside the server (score recomputation, e-mail copies) and stops with it.
	$(DEV_ENV) $(PY) manage.py run_worker & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
	  $(DEV_ENV) $(PY) manage.py runserver $(HOST)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) tools/bandit_check.py
	$(PY) tools/dependency_audit.py

migrations-check: setup
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

test: lint migrations-check
	$(VENV)/bin/pytest

bench: setup
	$(DEV_ENV) $(PY) bench/run.py

# The annual report on PostgreSQL with 1,000,000 generated proposals (BENCH_PROPOSALS; BENCH_REUSE=1 keeps the data).
bench-report: setup
	$(DEV_ENV) $(PY) bench/annual_report.py

# Full-text search on PostgreSQL with 1,000,000 generated documents against ILIKE (BENCH_TEXT_N; BENCH_REUSE=1
# keeps the data); writes its section of bench/TEXT.md.
.PHONY: bench-search
bench-search: setup
	$(DEV_ENV) $(PY) bench/text_search.py

# A plenary session under load (issue 8): 500 members on gunicorn + PostgreSQL for 10 minutes, then a step load;
# results in bench/LOAD.md. Needs a PostgreSQL server (BENCH_PG_URL or DATABASE_URL, else 127.0.0.1:5432).
bench-load: setup
	$(PIP) install -q -e ".[test,load]"
	$(PY) bench/plenary_load.py

# Duplicate detection (查重) on BENCH_TEXT_N generated proposals (default 1,000,000) against Decidim's pg_trgm
# query on PostgreSQL (BENCH_PG_URL's server; a scratch database zx_bench_dedup); writes bench/TEXT.md.
.PHONY: bench-dedup
bench-dedup: setup
	$(DEV_ENV) $(PY) bench/text_dedup.py

# Routing suggestion (交办建议) on the message-board titles with a held-out fifth, against the char n-gram
# baseline; one-core latency, retraining on 10,000 documents, segmentation against jieba; writes bench/TEXT.md.
.PHONY: bench-routing
bench-routing: setup
	$(DEV_ENV) $(PY) bench/text_routing.py

# The text layer's benchmarks (issue 9) one after the other: routing and segmentation, duplicates, search.
.PHONY: bench-text
bench-text: bench-routing bench-dedup bench-search

# Production-style serving: gunicorn, static files collected and served by whitenoise.
serve-prod: setup
	$(PY) manage.py collectstatic --no-input -v0
	$(VENV)/bin/gunicorn config.wsgi:application --bind $(HOST) --workers 4 --access-logfile -

# Backup and restore (README "备份与恢复"): a base backup plus the server's WAL archive.
#   make backup  PG_URL=postgres://user@host:5432/postgres BACKUP_DIR=var/backups
#   make restore RESTORE_DATA_DIR=/new/dir WAL_ARCHIVE=/wal/archive [BACKUP=var/backups/base-…] [RECOVERY_TARGET_TIME=…]
.PHONY: backup restore drill drill-backup
backup:
	scripts/pg_backup.sh

restore:
	scripts/pg_restore.sh

# Reliability drills (issue 8), full counts, against scratch databases on the PostgreSQL server of DATABASE_URL:
#   make drill DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
drill: setup
	RUN_DRILLS=1 $(VENV)/bin/pytest -q -s -p no:cacheprovider zhengxie/reliability

# The backup drill alone, on a private PostgreSQL cluster with the platform's schema and records.
drill-backup: setup
	$(PY) scripts/backup_drill.py --app-data

worker: setup
	$(DEV_ENV) $(PY) manage.py run_worker

clean:
	rm -rf var staticfiles
