# PVT Intake: `make demo` to try it, `make test` to run the suite. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 3000
DEMO   := $(CURDIR)/.demo

.PHONY: install demo demo-reset screenshots test test-fast lint bench prod-check clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# Writes .demo/ (config, keys, three files) once, migrates the ledger, then runs the demo in the
# foreground: a mail catcher (.demo/mail/) and a Salesforce stand-in (.demo/salesforce/) in
# threads, and dagster dev. Ctrl-C stops dagster (webserver, daemon, code server), the stand-ins
# and the gpg-agent together. Ports: PORT, PVT_DEMO_SMTP_PORT (3025), PVT_DEMO_SF_PORT (3443).
# `pvt demo run` copies dagster.yaml (next to workspace.yaml) into .demo/dagster/.
demo: install
	$(BIN)/pvt demo --dir $(DEMO)
	exec $(BIN)/pvt demo run --dir $(DEMO) --port $(PORT) --workspace workspace.yaml

demo-reset:
	@if [ -d $(DEMO)/home/keystore ]; then gpgconf --homedir $(DEMO)/home/keystore --kill gpg-agent || true; fi
	rm -rf $(DEMO)

# Refreshes docs/screenshots/*.png (the README's pictures) from a fresh demo in a temp folder,
# on free ports, with Debian's Chromium (/usr/bin/chromium; apt-get install chromium).
screenshots: install
	$(BIN)/python -m pvt_dagster.demo.screenshots docs/screenshots

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The suite without the tests marked slow (dagster dev, the daemon, fault campaigns).
test-fast: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow"

lint: install
	$(BIN)/ruff check pvt_dagster pvt_dagster_tests examples bench
	$(BIN)/mypy
	PVT_CONFIG=examples/pvt.yaml $(BIN)/dg check defs

# The production shape on this host: webserver, daemon and gRPC code server as separate
# processes on deploy/postgres/dagster.yaml, instance and ledger on PostgreSQL (127.0.0.1:5432),
# vault and stage outputs on moto's S3 server; files of three feeds flow to delivered.
prod-check: install
	$(BIN)/python -m pvt_dagster_tests.support.prod_shape $(FILES_PER_FEED)

# Ratios against baselines measured in the same run (see bench/); `make bench NAMES="sftp"`.
bench: install
	$(BIN)/python -m bench $(NAMES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
