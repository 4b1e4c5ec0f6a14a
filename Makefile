# sanbao: one county's labour-export stack. `make run` brings it up; `make test` tests it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SERVICES := registry dispatch fund settlement notify
STAMP := $(VENV)/.installed
PIP_VERSION := 25.3

export SANBAO_VAR_DIR ?= $(CURDIR)/var
# Tests: the PostgreSQL server they create databases on, and RabbitMQ's management API.
export SANBAO_TEST_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/postgres
RABBIT_API_URI ?= http://guest:guest@127.0.0.1:15672
AMQP_TEST_URI ?= pyamqp://guest:guest@127.0.0.1:5672/
NAMEKO_TEST := $(BIN)/nameko test --amqp-uri $(AMQP_TEST_URI) --rabbit-api-uri $(RABBIT_API_URI)

.PHONY: help install run test test-sqlite test-slow lint bench lock clean

help:
	@echo "make run          bring one county's stack up (COUNTY=532501 by default); Ctrl-C stops it"
	@echo "make test         the whole test suite, on SQLite and on PostgreSQL"
	@echo "make test-sqlite  the suite on SQLite only (quicker, for local work)"
	@echo "make test-slow    the PostgreSQL twins of the longest end-to-end tests (the fault test)"
	@echo "make lint         ruff"
	@echo "make bench        benchmarks, written to bench/results.json"
	@echo "make install      the virtual environment in $(VENV) (run and test do it when needed)"

install: $(STAMP)

$(STAMP): requirements.lock services/*/pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	# compat: each service directory goes on sys.path through a .pth file, so a tests/<service>/
	# directory can never shadow the package (a namespace package would win over the default
	# editable finder). The kit, the five services and the `sanbao` command line (services/cli).
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps \
	  --config-settings editable_mode=compat $(foreach s,common $(SERVICES) cli,-e services/$(s))
	touch $@

run: $(STAMP)
	$(BIN)/python deploy/local/stack.py

# What tests and benchmarks need (RabbitMQ, its management API, PostgreSQL), started if it is
# installed and stopped; each target runs it itself, so each works on a fresh machine.
PREREQUISITES := AMQP_TEST_URI=$(AMQP_TEST_URI) RABBITMQ_API_URI=$(RABBIT_API_URI) \
  $(BIN)/python deploy/local/prerequisites.py

# --durations: the CI log names the slowest tests, where the next minutes are to be won.
test: $(STAMP)
	$(PREREQUISITES) --postgres
	$(NAMEKO_TEST) tests --durations=25

test-sqlite: $(STAMP)
	$(PREREQUISITES)
	$(NAMEKO_TEST) tests --db sqlite

# The PostgreSQL twins of the longest end-to-end tests (`slow_twin`), which `make test` runs on
# SQLite only: the fault test's load floor was not met on PostgreSQL inside a full run.
test-slow: $(STAMP)
	$(PREREQUISITES) --postgres
	$(NAMEKO_TEST) tests -m slow_twin --slow-twins --db postgresql

lint: $(STAMP)
	$(BIN)/ruff check services tests bench deploy
	$(BIN)/ruff format --check services tests bench deploy

bench: $(STAMP)
	$(PREREQUISITES) --postgres
	$(BIN)/python bench/run.py

# Re-pin everything after changing requirements.in.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet pip==$(PIP_VERSION)
	.lock-venv/bin/pip install --quiet -r requirements.in
	{ echo "# Generated from requirements.in by 'make lock' (pip freeze of a fresh venv). Do not edit by hand."; \
	  .lock-venv/bin/pip freeze; } > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
