# sohoa: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(or $(SOHOA_DATA_DIR),data)
SAMPLE_DIR := $(DATA_DIR)/sample-batch
DEMO_AGENCY := 000.00.00.DEMO
# For the web pages of the local demo only (served on 127.0.0.1); never a real account's password.
DEMO_PASSWORD := sohoa-demo-2026
STAMP := $(VENV)/.installed
# Test files run side by side on this many workers (pytest-xdist), each file whole on one worker: most tests
# wait on servers and subprocesses, not on the CPU. Tests that stop or kill servers use sets of their own.
TEST_WORKERS ?= 2
# sane-utils: scanimage, for `sohoa scan` (and SANE's test device in the suite)
# libtesseract-dev, libleptonica-dev, pkg-config, g++: tesserocr (Tesseract's library in the page workers) is
# built against Debian's libtesseract, the one the `tesseract` command and its models come with.
DEBIAN_PACKAGES := tesseract-ocr tesseract-ocr-vie poppler-utils fonts-dejavu-core fonts-noto-core fonts-liberation2 \
	sane-utils libtesseract-dev libleptonica-dev pkg-config g++
# tesserocr's wheels carry a Tesseract of their own (5.5 where Debian 12 has 5.3): every pip below builds it
# from source instead.
export PIP_NO_BINARY := tesserocr
# For the test suite's real servers: Elasticsearch runs on Java 17 and is fetched with Maven; MinIO is built
# with the Go toolchain the machine carries (Debian's golang is too old for it).
# softhsm2: a PKCS#11 token in a folder, standing in for an official's USB signing token.
# chromium: the real browser the web pages are tested in (driven by Playwright, headless).
# redis-server: the task broker for the workers (deploy/services.sh runs its own on loopback).
# haproxy: the one address in front of the four MinIO nodes of the clustered set (services.sh up --cluster).
TEST_DEBIAN_PACKAGES := openjdk-17-jre-headless maven curl softhsm2 chromium redis-server haproxy

.PHONY: run test lint bench-ocr bench-ocr-real bench-same bench-search bench-search-cluster bench-reuse bench-sign bench-batch bench-workers bench-web system-deps venv sample clean services-down

run: venv sample  ## digitize a sample batch and serve the API on 127.0.0.1:8000 (embedded backends)
	SOHOA_DATA_DIR=$(DATA_DIR) $(BIN)/sohoa ingest $(SAMPLE_DIR) --agency $(DEMO_AGENCY)
	SOHOA_DATA_DIR=$(DATA_DIR) $(BIN)/sohoa search "ho so" --limit 3
	SOHOA_DATA_DIR=$(DATA_DIR) $(BIN)/sohoa users list | grep -q demo-officer || \
		SOHOA_DATA_DIR=$(DATA_DIR) $(BIN)/sohoa users add demo-officer --role officer --agency $(DEMO_AGENCY)
	SOHOA_DATA_DIR=$(DATA_DIR) $(BIN)/sohoa users list | grep -q demo-staff || \
		SOHOA_DATA_DIR=$(DATA_DIR) $(BIN)/sohoa users add demo-staff --role staff --agency $(DEMO_AGENCY)
	for u in demo-officer demo-staff; do \
		echo "$(DEMO_PASSWORD)" | SOHOA_DATA_DIR=$(DATA_DIR) $(BIN)/sohoa users passwd $$u --password-stdin; done
	@echo "Web pages: http://127.0.0.1:8000/ (demo-officer or demo-staff, password $(DEMO_PASSWORD))"
	@echo "API token for demo-officer (send as 'Authorization: Bearer …'):"
	@SOHOA_DATA_DIR=$(DATA_DIR) $(BIN)/sohoa users token demo-officer --days 1
	SOHOA_DATA_DIR=$(DATA_DIR) $(BIN)/sohoa serve --host 127.0.0.1 --port 8000

test: venv node_modules/.package-lock.json  ## the whole suite: real Tesseract, real PDFs, real MinIO and Elasticsearch on loopback
	$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES="$(TEST_DEBIAN_PACKAGES)"
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	bash deploy/services.sh up
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=30

system-deps:  ## Debian packages (skipped when all are present)
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

venv: system-deps $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# axe-core (package.json), for the accessibility audit in the browser tests; from the npm registry, not served.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

sample: venv
	test -f $(SAMPLE_DIR)/truth.json || $(BIN)/sohoa sample-batch $(SAMPLE_DIR) --pages 6

bench-ocr: venv  ## sohoa against OCRmyPDF on the same degraded pages (prints a table)
	$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES=ghostscript
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/ocr_vs_ocrmypdf.py

bench-ocr-real: venv  ## sohoa, OCRmyPDF fastest and bare Tesseract on the real scans in tests/data/real_scans (tables)
	$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES=ghostscript
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/ocr_real.py

bench-same: venv  ## whether this checkout reads the bench's pages as BASE does (BASE=HEAD by default)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/same_reading.py --base $(or $(BASE),HEAD)

bench-search: venv  ## SQLite against Elasticsearch at 100,000 pages (prints a table)
	bash deploy/services.sh up
	source <(bash deploy/services.sh env) && $(BIN)/python bench/search.py --pages 100000

bench-search-cluster: venv  ## one Elasticsearch node against the three-node cluster at 1,000,000 pages (a table)
	bash deploy/services.sh up && bash deploy/services.sh up --cluster
	$(BIN)/python bench/search.py --pages 1000000 --backends elasticsearch \
		--target single=$$(bash deploy/services.sh env | sed -n 's/^export SOHOA_ES_URL=//p') \
		--target cluster=$$(bash deploy/services.sh env --cluster | sed -n 's/^export SOHOA_ES_URL=//p')

bench-batch: venv  ## a 100-page stack, capture to searchable: pages per minute and peak memory
	$(BIN)/python bench/batch.py --pages 100

bench-workers: venv  ## the same 60-page stack through the local pool and through 1 and 2 Celery workers (prints a table)
	bash deploy/services.sh up
	$(BIN)/python bench/workers.py --pages 60

bench-sign: venv  ## signing cost per document (PKCS#12 and SoftHSM2) against pyHanko's plain signature
	$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES=softhsm2
	$(BIN)/python bench/signing.py --docs 20

bench-reuse: venv  ## owner look-up (reuse) at 100,000 documents of 20,000 owners, SQLite vs Elasticsearch
	bash deploy/services.sh up
	source <(bash deploy/services.sh env) && $(BIN)/python bench/reuse.py --docs 100000 --owners 20000

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/ruff format --check src tests bench

services-down:  ## stop the test servers
	bash deploy/services.sh down

clean:
	rm -rf $(VENV) data .pytest_cache

bench-web: venv  ## the officer's search page against the search API at 100,000 pages (prints a table)
	$(BIN)/python bench/web.py --pages 100000
