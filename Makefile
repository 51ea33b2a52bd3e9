# PVT Intake: `make demo` to try it, `make test` to run the suite. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 3000
DEMO   := $(CURDIR)/.demo

.PHONY: install demo demo-reset test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# Writes .demo/ (config, keys, three files) once, migrates the ledger, then runs Dagster in the
# foreground: Ctrl-C stops the webserver, the daemon and the code server together.
demo: install
	$(BIN)/pvt demo --dir $(DEMO)
	@mkdir -p $(DEMO)/dagster && cp dagster.yaml $(DEMO)/dagster/dagster.yaml
	@echo "Dagster UI: http://127.0.0.1:$(PORT)   progress: $(BIN)/pvt --config .demo/pvt.yaml files"
	PVT_CONFIG=$(DEMO)/pvt.yaml DAGSTER_HOME=$(DEMO)/dagster exec $(BIN)/dagster dev \
		-h 127.0.0.1 -p $(PORT) -w workspace.yaml

demo-reset:
	@if [ -d $(DEMO)/home/keystore ]; then gpgconf --homedir $(DEMO)/home/keystore --kill gpg-agent || true; fi
	rm -rf $(DEMO)

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check pvt_dagster pvt_dagster_tests examples bench
	$(BIN)/mypy

# Ratios against baselines measured in the same run (see bench/); `make bench NAMES="sftp"`.
bench: install
	$(BIN)/python -m bench $(NAMES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
