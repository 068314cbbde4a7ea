# gmp-twin — every target works from a fresh clone: it creates .venv, installs, then runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# Pinned versions (uv pip compile of pyproject.toml): the same install on every machine; `make lock` renews them.
LOCK      := requirements.lock
DEV_LOCK  := requirements-dev.lock
UV        := uv==0.13.9
# Two cores: multithreaded BLAS only fights the tests' own processes.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1

.PHONY: run test bench lint typecheck system-deps clean lock screenshots

# `make run` installs only what the twin needs (fast first start); tests add the dev tools.
# uv resolves and downloads in parallel (~10 s cold instead of ~45 s with pip); pip is the fallback.
INSTALL = $(BIN)/uv pip install --quiet --python $(BIN)/python
$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $(UV)

# Then the bioreactor's compiled batch loop and the PAT calibration go into the user's cache
# (models/warm.py, ~5 s once), so a first `gmp-twin simulate` does not pay for them.
$(RUN_STAMP): pyproject.toml $(LOCK) | $(BIN)/uv
	($(INSTALL) -r $(LOCK) && $(INSTALL) --no-deps -e .) || \
	  $(BIN)/pip install --quiet --disable-pip-version-check -r $(LOCK) -e .
	$(BIN)/python -m models.warm || echo "models.warm failed: the first batch run will compile and calibrate"
	touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP) $(DEV_LOCK)
	($(INSTALL) -r $(DEV_LOCK) && $(INSTALL) --no-deps -e '.[dev]') || \
	  $(BIN)/pip install --quiet --disable-pip-version-check -r $(DEV_LOCK) -e '.[dev]'
	touch $(DEV_STAMP)

## make lock: resolve pyproject.toml's dependencies again (newest allowed versions) into the lock files
COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --custom-compile-command "make lock" -q
lock: | $(BIN)/uv
	$(COMPILE) -o $(LOCK)
	$(COMPILE) --extra dev -o $(DEV_LOCK)

## make run: the whole twin in one process (OPC UA :4840, dashboard + API :8050, SQLite historian)
run: $(RUN_STAMP)
	$(BIN)/gmp-twin run

## system-deps: Debian packages the tests use for real (InfluxDB 1.x, headless Chromium, Node.js for node-opcua)
system-deps:
	@missing=""; \
	command -v influxd >/dev/null 2>&1 || missing="$$missing influxdb"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/bin/chromedriver ] || missing="$$missing chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## make test: lint (style, format, import layers), type-check and the test suite against real OPC UA, InfluxDB and Chromium
test: $(DEV_STAMP) system-deps lint
	$(BIN)/mypy
	$(BIN)/pytest

## make bench: benchmarks; each prints one JSON document on stdout
bench: $(DEV_STAMP)
	$(BIN)/python -m bench

## make screenshots: every dashboard page in FR and EN at 1,280 px into docs/screenshots/, checked (exit 1 on a finding)
screenshots: $(DEV_STAMP) system-deps
	$(BIN)/python -m gmp_twin.screenshots

## make lint: ruff, ruff format and the import-layer contracts of pyproject.toml (ARCHITECTURE.md)
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache data
