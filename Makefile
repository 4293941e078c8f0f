# Fieldwork — `make demo` serves the app with the demo studies, `make test` runs the tests.
# Only Python 3.11 is needed on the machine; everything else goes into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test lint messages compilemessages migrate bench worker clean install

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Fieldwork needs Python 3.11 or newer.")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

compilemessages: $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -d locale -D django

migrate: install compilemessages
	$(PY) manage.py migrate --verbosity 0

demo: migrate
	$(PY) manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(PY) manage.py runserver --insecure $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install compilemessages lint
	$(PY) manage.py makemigrations --check --dry-run --verbosity 1
	$(VENV)/bin/pytest

# Refresh locale/fr/LC_MESSAGES/django.po from the code (needs GNU gettext's xgettext).
messages: install
	$(PY) manage.py makemessages --locale fr --no-location --no-obsolete --ignore '.venv/*' --ignore 'bench/*'

bench: install
	$(PY) bench/run.py

# A Celery worker for the PostgreSQL + Redis setup (see README).
worker: install
	$(VENV)/bin/celery -A config worker --loglevel INFO

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
