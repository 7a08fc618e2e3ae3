# event-books: the commands a newcomer needs. `make run` to use it, `make test` to check it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The local MariaDB that `make services` starts; tests always run against it.
SERVICES_DATABASE_URL := mysql://bookstore:bookstore@127.0.0.1:3306/event_books
SERVICES_KAFKA := 127.0.0.1:9092

.PHONY: install run services services-stop services-status cluster cluster-stop test lint format clean bench bench-quick mutation chaos screenshots

$(VENV)/.installed: requirements.txt requirements-dev.txt scripts/system-deps.sh
	scripts/system-deps.sh python
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# axe-core, the accessibility checker tests/test_browser.py injects into the pages.
AXE_CORE := .services/node/node_modules/axe-core/axe.min.js
$(AXE_CORE):
	scripts/system-deps.sh browser
	npm install --prefix .services/node --no-save --no-audit --no-fund axe-core@4.14.1

run: install
	scripts/run.sh

services:
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

services-status:
	scripts/services.sh status

# A 3-node Kafka cluster beside the services above (for failover tests): PLAINTEXT 19092-19094,
# controllers 19192-19194, SASL_SSL 19292-19294, state in .services/cluster, jars shared.
CLUSTER_ENV := SERVICES_DIR=.services/cluster KAFKA_NODES=3 KAFKA_PORT=19092 KAFKA_CONTROLLER_PORT=19192 \
	KAFKA_SASL_PORT=19292 KAFKA_LIBS=$(CURDIR)/.services/kafka/libs

cluster:
	$(CLUSTER_ENV) scripts/services.sh start kafka

cluster-stop:
	$(CLUSTER_ENV) scripts/services.sh stop kafka

test: install services lint $(AXE_CORE)
	scripts/system-deps.sh browser
	DATABASE_URL=$(SERVICES_DATABASE_URL) KAFKA_BOOTSTRAP_SERVERS=$(SERVICES_KAFKA) \
		$(VENV)/bin/pytest

# The README's screenshots (docs/img/), taken by tests/screenshots.py in the tests' browser.
screenshots: install services
	scripts/system-deps.sh browser
	DATABASE_URL=$(SERVICES_DATABASE_URL) KAFKA_BOOTSTRAP_SERVERS=$(SERVICES_KAFKA) \
		$(VENV)/bin/pytest -p no:cacheprovider -q tests/screenshots.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Mutation testing of events/, configured in pyproject.toml's [tool.mutmut]; not part of `make
# test`, and all of events/ takes hours: MUTANTS narrows it, e.g.
#   make mutation MUTANTS='events.retention.*'
# then `.venv/bin/mutmut show NAME` shows a survivor, `.venv/bin/mutmut browse` all of them.
# It works in mutants/ (git- and ruff-ignored by the .gitignore made there) and in a test
# database of its own, so a `make test` alongside is not disturbed.
MUTMUT := mutmut==3.8.1
MUTATION_DATABASE_URL := mysql://bookstore:bookstore@127.0.0.1:3306/event_books_mutation
MUTANTS ?=

mutation: install services
	$(VENV)/bin/pip show mutmut 2>/dev/null | grep -qx 'Version: $(subst mutmut==,,$(MUTMUT))' \
		|| $(VENV)/bin/pip install --quiet $(MUTMUT)
	mkdir -p mutants && echo '*' > mutants/.gitignore
	DATABASE_URL=$(MUTATION_DATABASE_URL) KAFKA_BOOTSTRAP_SERVERS=$(SERVICES_KAFKA) \
		$(VENV)/bin/pytest --reuse-db --create-db -q -p no:cacheprovider tests/test_retention.py
	DATABASE_URL=$(MUTATION_DATABASE_URL) KAFKA_BOOTSTRAP_SERVERS=$(SERVICES_KAFKA) \
		$(VENV)/bin/mutmut run --max-children 1 $(MUTANTS)
	$(VENV)/bin/mutmut results | grep -v ': not checked$$' || true

# The fault suite: its own MariaDB and 3-node Kafka on free ports, gunicorn, the relay and both
# consumers under 30 searches/s, seven faults; writes docs/reliability.md, exits non-zero on a
# miss (about 12 minutes). `make test` runs its short version (tests/test_chaos.py).
chaos: install services
	$(PY) -m chaos

# Benchmarks (not tests): start the services themselves, write docs/benchmarks.md and its charts.
bench: install
	$(PY) -m bench

bench-quick: install
	$(PY) -m bench --quick

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
