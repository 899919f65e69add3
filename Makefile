# Two commands for a fresh machine: `make run` and `make test`. Both install from the lock files,
# so every machine gets exactly the versions the tests passed with (`make lock` refreshes them).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB_FILE := instance/start_integration.db
HOST ?= 127.0.0.1
PORT ?= 5000
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.6.2
LOCK := requirements.lock
TEST_LOCK := requirements-test.lock
# The project itself is installed without its dependencies and without build isolation:
# both come from the lock (setuptools included), never from a fresh resolution.
INSTALL_PROJECT := $(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links \
	--no-emit-index-url --build-deps-for wheel --build-deps-for editable

.PHONY: run test install install-test bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)

$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(INSTALL_PROJECT)
	touch $@

$(VENV)/.installed-test: $(TEST_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(TEST_LOCK)
	$(INSTALL_PROJECT)
	$(BIN)/pip check
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	@if [ -z "$$DATABASE_URL" ] && [ ! -f $(DB_FILE) ]; then \
		$(BIN)/flask --app app init-db && $(BIN)/flask --app app seed-demo; \
	else \
		$(BIN)/flask --app app init-db; $(BIN)/python -c "from services.demo import demo_logins; print(demo_logins())"; \
	fi
	@$(BIN)/flask --app app mail info
	@echo ""
	@echo "start.integration läuft auf http://$(HOST):$(PORT)/  (Beenden mit Ctrl+C)"
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python bench/run.py

# Resolve pyproject.toml into the two lock files, keeping existing pins where they still fit
# (`make lock LOCK_ARGS=--upgrade` takes the newest versions the ranges allow, `LOCK_ARGS="-P flask"`
# one package); the test lock is constrained by the runtime lock, so both pin the same versions.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools==$(PIP_TOOLS_VERSION)
	$(COMPILE) $(LOCK_ARGS) -o $(LOCK) pyproject.toml
	$(COMPILE) $(LOCK_ARGS) --extra test -c $(LOCK) -o $(TEST_LOCK) pyproject.toml
	rm -f $(VENV)/.installed $(VENV)/.installed-test

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
