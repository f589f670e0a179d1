# gwmap: `make run` starts the app with the demo county; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt 2>/dev/null | cksum | cut -d' ' -f1)
PORT   ?= 8501
#: where `make run` listens: 127.0.0.1 in demo mode unless set (make run ADDRESS=0.0.0.0)
ADDRESS ?=
export GWMAP_DEMO ?= 1

.PHONY: run test venv browser-deps lint bench demo-data clean

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gwmap needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing gwmap's Python packages into $(VENV) (about 2 minutes on a fresh machine)..."
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -r requirements-dev.txt -c constraints.txt
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

venv: $(STAMP)

## run: set up, create/migrate the database (demo data unless GWMAP_DEMO=0) and start the app
run: venv
	@if [ "$(GWMAP_DEMO)" = "1" ]; then $(PY) -m gwmap init --demo; else $(PY) -m gwmap init; fi
	$(PY) -m gwmap serve --port $(PORT) $(if $(ADDRESS),--address $(ADDRESS))

## test: set up (Chromium from Debian for the browser tests) and run every test
test: venv browser-deps
	$(PY) -m pytest

#: Debian packages the tests use: the browser, CJK fonts (Noto for images, WenQuanYi TrueType for PDFs), pdftoppm
SYS_PKGS := chromium fonts-noto-cjk fonts-wqy-microhei poppler-utils

browser-deps:
	@missing=$$(for p in $(SYS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the tests: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing \
	  || echo "could not install $$missing: the tests that need them will be skipped"; \
	fi

lint: venv
	$(VENV)/bin/ruff check .

## bench: the one-map page with 20,000 wells, canvas layer against one marker per well
bench: venv
	$(PY) bench/bench_onemap.py
	$(PY) bench/bench_kriging.py
	$(PY) bench/bench_variogram.py
	$(PY) bench/bench_routing.py
	$(PY) bench/bench_export.py --wells 100000
	$(PY) bench/bench_scale.py --wells 100000
	$(PY) bench/bench_users.py --users 30 --processes 2 --wells 100000
	$(PY) bench/bench_reads.py

## demo-data: rebuild data/ from scripts/build_demo_data.py (fixed seed; output is committed)
demo-data: venv
	$(PY) scripts/build_demo_data.py

clean:
	rm -rf $(VENV) var static/vendor test-output .pytest_cache
