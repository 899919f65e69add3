# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB_FILE := instance/start_integration.db
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	@if [ -z "$$DATABASE_URL" ] && [ ! -f $(DB_FILE) ]; then \
		$(BIN)/flask --app app init-db && $(BIN)/flask --app app seed-demo; \
	else \
		$(BIN)/flask --app app init-db; $(BIN)/python -c "from services.demo import demo_logins; print(demo_logins())"; \
	fi
	@echo ""
	@echo "start.integration läuft auf http://$(HOST):$(PORT)/  (Beenden mit Ctrl+C)"
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
