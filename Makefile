# make run   — the demo on http://127.0.0.1:8000 (SQLite, no other services, DEBUG on)
# make test  — the whole suite (uses DATABASE_URL and REDIS_URL when set, else SQLite)
# make lint  — ruff (lint and format), mypy and the migrations check
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000

.PHONY: run test install migrate messages makemessages seed worker beat lint check clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# DEBUG is off unless set (ims/settings.py). The demo and the developer commands turn it on;
# an environment that sets DEBUG (a production shell with DEBUG=false) keeps its value.
run seed migrate messages makemessages lint check: export DEBUG ?= true

messages: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

makemessages: $(STAMP)
	$(PY) manage.py makemessages -l vi -l en -l lo --ignore=.venv --ignore=static --ignore=tests --no-obsolete
	$(PY) manage.py makemessages -d djangojs -l vi -l en -l lo --ignore=.venv --ignore=static/vendor --ignore=staticfiles --ignore=tests --ignore=node_modules --no-obsolete

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput -v0

seed: migrate
	$(PY) manage.py seed_demo

run: install messages migrate seed
	$(PY) manage.py runserver $(HOST)

test: install messages
	$(PY) -m pytest $(PYTEST_ARGS)

worker: install
	$(VENV)/bin/celery -A ims worker -l info -Q default,reports

beat: install
	$(VENV)/bin/celery -A ims beat -l info

# The checks .ci/run makes besides the tests: lint, formatting, types, migrations.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=scale.bench_settings $(PY) manage.py makemigrations --check --dry-run

check: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

clean:
	rm -rf $(VENV) db.sqlite3 .test.sqlite3 staticfiles
