# The two commands a new user needs: `make build` and `make test`.
# Both set up everything on a fresh machine first (virtual environment, packages,
# and for tests the headless Chromium they drive).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: build test lint bench clean browser java

# BASE_URL (optional): the published address, e.g. set by the GitHub Pages workflow.
build: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m sitegen build $(if $(BASE_URL),--base-url "$(BASE_URL)")

test: $(VENV)/.installed-test node_modules/.installed browser java
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# ruff, then mypy (its settings and the files it checks: [tool.mypy] in pyproject.toml).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

# Build times, rebuilds, memory, output size, serve reloads and search speed at 346 to 50,000 papers, the same
# with the default theme copied into the site's templates/, and MkDocs beside them; writes bench/RESULTS.md.
bench: $(VENV)/.installed-bench node_modules/.installed browser
	$(BIN)/python bench/run.py

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --editable .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) --editable '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PIP) --editable '.[test,bench]'
	touch $@

# lunr.js and the HTML checker, pinned by package-lock.json (and Node.js with npm, from Debian, when missing).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

# A Java runtime for the Nu HTML Checker (npm vnu-jar) that the tests run.
java:
	@command -v java >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q default-jre-headless; }

clean:
	rm -rf $(VENV) node_modules _site .pytest_cache .mypy_cache
