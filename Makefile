# event-books: the commands a newcomer needs. `make run` to use it, `make test` to check it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The local MariaDB that `make services` starts; tests always run against it.
SERVICES_DATABASE_URL := mysql://bookstore:bookstore@127.0.0.1:3306/event_books
SERVICES_KAFKA := 127.0.0.1:9092

.PHONY: install run services services-stop services-status test lint format clean bench bench-quick

$(VENV)/.installed: requirements.txt scripts/system-deps.sh
	scripts/system-deps.sh python
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

run: install
	scripts/run.sh

services:
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

services-status:
	scripts/services.sh status

test: install services lint
	scripts/system-deps.sh browser
	DATABASE_URL=$(SERVICES_DATABASE_URL) KAFKA_BOOTSTRAP_SERVERS=$(SERVICES_KAFKA) \
		$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks (not tests): start the services themselves, write docs/benchmarks.md.
bench: install
	$(PY) -m bench

bench-quick: install
	$(PY) -m bench --quick

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
