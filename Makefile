# The two commands of the README, and the setup they share.
#   make demo   the whole pipeline on generated sample scans: scans -> tiles -> shards -> model -> animation, fills, SVG
#   make test   the test suite (CPU, a few minutes on 2 cores)
PYTHON ?= python3
VENV := .venv
INSTALLED := $(VENV)/.installed

.PHONY: setup demo test bench clean-demo

$(INSTALLED): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "drawing needs Python 3.11 or newer")'
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(INSTALLED)

demo: $(INSTALLED)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash demo.sh

test: $(INSTALLED)
	$(VENV)/bin/python -m pytest -n 2 -q

bench: $(INSTALLED)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash bench/run_all.sh

clean-demo:
	rm -rf demo_out
