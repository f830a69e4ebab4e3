# The two commands the README gives: `make test` and `make demo`.
# Each does its own set-up from a fresh clone (virtual environment, Python packages,
# the Debian packages that Qt and the tests need) and is quick when run again.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup system-packages test lint demo bench clean

setup: system-packages $(STAMP)

system-packages:
	@bash scripts/ensure-system-packages.sh

# Reinstall only when the project's dependency declaration changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[central,dev,evdev]'
	@touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check kiosk devices offline_cache
	$(VENV)/bin/mypy kiosk devices offline_cache ui central
	$(VENV)/bin/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q

demo: setup
	@bash scripts/demo.sh

bench: setup
	@for b in bench/[a-z]*.py; do \
	  case $$b in bench/harness.py) continue;; esac; \
	  echo "== $$b"; QT_QPA_PLATFORM=offscreen $(PY) $$b || exit 1; \
	done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
