# Two commands matter: `make demo` and `make test`. Both set everything up first.
# `make quick` is the inner loop: the tests not marked slow.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOG := $(VENV)/install.log
# (no "a new pip is out" check: it costs a request and says nothing we act on)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Test processes (pytest-xdist). More than the cores: many tests wait on a child
# process, a server or a timer, and another process's test runs meanwhile (on two
# cores, 4 took the suite from 100 s to 80 s, against 186 s in one process).
JOBS ?= 4

.PHONY: demo test quick lint typecheck docs clean browser

# $(call step,what it does,command): run a setup step with its output in $(LOG);
# if it fails, show the end of the log and stop.
define step
	@echo "  $(1)"
	@$(2) >>$(LOG) 2>&1 || { status=$$?; \
		echo "make: '$(strip $(2))' failed (exit $$status); the end of $(LOG):" >&2; \
		tail -n 30 $(LOG) >&2; exit $$status; }
endef

$(STAMP): pyproject.toml
	@if [ -d $(VENV) ]; then \
		echo "Updating $(VENV) (pyproject.toml changed)…"; \
	else \
		echo "Setting up $(VENV) (first run only, ~1 min; the installer's output goes to $(LOG))…"; \
	fi
	@mkdir -p $(VENV) && : > $(LOG)
	$(call step,creating the virtual environment,$(PYTHON) -m venv $(VENV))
	$(call step,installing coffeechat and its test tools,\
		$(BIN)/python -m pip install -e '.[test]')
	@touch $(STAMP)
	@echo "  done: $(BIN)/coffeechat is ready"

demo: $(STAMP)
	@echo "Replaying examples/story.sh (a month of informational interviews) into a throwaway store…"
	@COFFEECHAT=$(BIN)/coffeechat bash examples/story.sh

test: $(STAMP) browser
	@echo "Linting (ruff)…"
	@$(BIN)/ruff check .
	@echo "Type-checking (mypy)…"
	@$(MAKE) --no-print-directory typecheck
	@echo "Running the whole test suite (pytest, $(JOBS) processes)…"
	@$(BIN)/pytest -n $(JOBS)

# The report's browser test (tests/test_report_browser.py) needs a Chromium: where
# there is none and we are root with apt-get (CI), install Debian's, quietly; else
# the test skips and says why.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "  installing Debian's chromium for the browser test (output in $(LOG))…"; \
			{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
				>>$(LOG) 2>&1 || echo "  could not install chromium (see $(LOG)): the browser test will skip"; \
		else \
			echo "  no chromium on PATH: the report's browser test will skip"; \
		fi; \
	fi

quick: $(STAMP)
	@$(BIN)/pytest -q -n $(JOBS) -m "not slow"

docs: $(STAMP)
	$(BIN)/python -m coffeechat.cli.reference > docs/cli.md

lint: $(STAMP)
	$(BIN)/ruff check .
	@$(MAKE) --no-print-directory typecheck

# mypy cannot see through the editable install's import hook, so it checks the
# package laid out as installed: links to core/*, cli/ and plugins/ under one
# coffeechat folder (rebuilt each time, so a new module is never missed).
TYPECHECK := build/typecheck/coffeechat
typecheck: $(STAMP)
	@rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)
	@ln -s $(CURDIR)/core/*.py $(CURDIR)/core/py.typed $(CURDIR)/core/projections $(TYPECHECK)/
	@ln -s $(CURDIR)/cli $(CURDIR)/plugins $(TYPECHECK)/
	@$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
