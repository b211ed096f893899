# RiskLens: the two commands a new user needs are `make run` and `make test` (see README.md).
#
# Outside a virtualenv (VIRTUAL_ENV unset) everything is installed into a project virtualenv, .venv,
# made from the system Python: a stock Debian 12 / Ubuntu 24.04 Python refuses `pip install` into
# itself (PEP 668). Inside an activated virtualenv that one is used.
SYSTEM_PYTHON ?= python3
PORT ?= 8501
# Loopback by default. Serving on every interface without [auth] also needs ALLOW_OPEN=1.
HOST ?= 127.0.0.1
ALLOW_OPEN ?=

ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := .venv
endif
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.risklens-installed
TEST_STAMP := $(VENV)/.risklens-test-installed

.PHONY: venv install install-test browser run test bench

venv: $(PY)

ifndef VIRTUAL_ENV
# Debian ships the venv module separately (python3-venv); install it with apt if `-m venv` fails.
$(PY):
	@$(SYSTEM_PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "installing python3-venv (Debian/Ubuntu) to create $(VENV)"; rm -rf .venv; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null) \
	  || (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null); \
	  $(SYSTEM_PYTHON) -m venv $(VENV); }
endif

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(PIP) install --quiet -e ".[test]"
	@touch $@

install: $(STAMP)

install-test: $(TEST_STAMP)

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); }

# The serve check refuses a non-loopback HOST without [auth] unless ALLOW_OPEN=1 (then it warns).
run: install
	@RISKLENS_ALLOW_OPEN=$(ALLOW_OPEN) $(PY) -m risklens.access $(HOST)
	RISKLENS_ALLOW_OPEN=$(ALLOW_OPEN) $(PY) app.py --server.address $(HOST) --server.port $(PORT)

test: install-test browser
	$(PY) -m pytest -q

bench: install-test
	$(PY) bench/bench_treeshap.py
	$(PY) bench/bench_lime.py
	$(PY) bench/bench_patient_switch.py
