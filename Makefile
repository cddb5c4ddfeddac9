# The two commands of the README, and the setup they share.
#   make demo   the whole pipeline on generated sample scans: scans -> tiles -> shards -> model -> animation, fills, SVG
#   make test   the test suite (CPU, a few minutes on 2 cores)
PYTHON ?= python3
VENV := .venv
INSTALLED := $(VENV)/.installed

.PHONY: setup browser demo test bench clean-demo

$(INSTALLED): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "drawing needs Python 3.11 or newer")'
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The browser tests of gen/explore.py drive Debian's chromium with its chromium-driver: installed here from
# Debian's packages where apt-get can (as root), never a browser download. Elsewhere those tests are skipped,
# saying what to install (and fail where CI is set).
BROWSER_PACKAGES := chromium chromium-driver

browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(BROWSER_PACKAGES) for the browser tests (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null 2>&1 \
	    || { apt-get update -qq >/dev/null && apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; } \
	    || echo "note: could not install $(BROWSER_PACKAGES); the browser tests will be skipped"; \
	else echo "note: the browser tests need chromium and chromium-driver (apt-get install chromium chromium-driver)"; fi

setup: $(INSTALLED) browser

demo: $(INSTALLED)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash demo.sh

test: $(INSTALLED) browser
	$(VENV)/bin/python -m pytest -n 2 -q

bench: $(INSTALLED)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash bench/run_all.sh

clean-demo:
	rm -rf demo_out
