# Fieldwork — `make demo` serves the app with the demo studies, `make test` runs the tests.
# Only Python 3.11 is needed on the machine; everything else goes into .venv. Node.js 18+ and
# npm, when present, build the web forms (make webforms) into static/webforms/.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test lint messages compilemessages migrate bench worker clean install webforms

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

demo: migrate webforms
	$(PY) manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(PY) manage.py runserver --insecure $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install compilemessages lint webforms
	$(PY) manage.py makemigrations --check --dry-run --verbosity 1
	$(VENV)/bin/pytest

# Web entry of questionnaires (ODK Web Forms): built from webforms/ (package.json +
# package-lock.json) into static/webforms/ when its sources are newer than the bundle. Without
# Node.js everything else works, and the fill pages say how to build it.
WEBFORMS_OUT := static/webforms/webforms.js
WEBFORMS_SRC := webforms/package.json webforms/package-lock.json webforms/vite.config.js \
	$(wildcard webforms/src/*)

webforms:
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
	    && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then \
	    $(MAKE) --no-print-directory $(WEBFORMS_OUT); \
	else \
	    echo "Node.js 18+ and npm are needed to build the web forms: apt-get install nodejs npm; everything else works without them"; \
	fi

$(WEBFORMS_OUT): $(WEBFORMS_SRC)
	cd webforms && npm ci --no-audit --no-fund --loglevel=error
	cd webforms && npm run build
	touch $@

# Refresh locale/fr/LC_MESSAGES/django.po from the code (needs GNU gettext's xgettext).
messages: install
	$(PY) manage.py makemessages --locale fr --no-location --no-obsolete --ignore '.venv/*' --ignore 'bench/*' --ignore 'webforms/node_modules/*'

bench: install
	$(PY) bench/run.py

# A Celery worker for the PostgreSQL + Redis setup (see README).
worker: install
	$(VENV)/bin/celery -A config worker --loglevel INFO

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache static/webforms webforms/node_modules
