# Set-up is two commands: `make run` (install, then serve) and `make test` (install, then test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install run test lint format bench clean browser ding redis

install: $(STAMP)

# Re-runs only when the dependency list changes. argostranslate is installed without its
# dependencies (stanza, spacy, torch: ~3 GB); the service never imports it, the tests use it to
# prove that both tools share one package directory, and the bench compares against it.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps \
		"argostranslate==1.11.0" "sacremoses>=0.0.53,<0.2"
	touch $(STAMP)

run: install
	$(BIN)/glossary models ensure de en
	$(BIN)/glossary serve --host $(HOST) --port $(PORT)

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Debian's Chromium for tests/test_browser.py (driven by Playwright; nothing is downloaded
# by Playwright itself). Needs root where it is missing.
browser:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# Debian's redis-server for tests/test_jobs_redis.py (the RQ job queue with real worker
# processes; the test starts its own server on a free port). Needs root where it is missing.
redis:
	command -v redis-server >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server)

test: lint browser redis
	$(BIN)/pytest
	@echo "browser screenshots: var/screenshots/"

# Debian's Ding dictionary (trans-de-en, GPL) for the term pairs of bench/bench_terms.py: read
# from /usr/share/trans/de-en, never copied into the repository. Needs root where it is missing.
ding:
	test -f /usr/share/trans/de-en || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y trans-de-en)

bench: install ding
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
