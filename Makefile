# RiskLens: the two commands a new user needs are `make run` and `make test` (see README.md).
PYTHON ?= python3
PIP := $(PYTHON) -m pip
PORT ?= 8501

.PHONY: install install-test browser run test bench

install:
	$(PIP) install --quiet --disable-pip-version-check -e .

install-test:
	$(PIP) install --quiet --disable-pip-version-check -e ".[test]"

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); }

run: install
	$(PYTHON) -m streamlit run app.py --server.port $(PORT)

test: install-test browser
	$(PYTHON) -m pytest -q

bench: install-test
	$(PYTHON) bench/bench_treeshap.py
	$(PYTHON) bench/bench_lime.py
	$(PYTHON) bench/bench_patient_switch.py
