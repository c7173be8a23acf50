# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck matrix demo bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

typecheck: $(STAMP)
	$(PY) -m mypy

# tox finds python3.X on PATH; pyenv's shims hide the versions that are not selected,
# so put every installed CPython 3.10-3.13 on PATH directly.
PY_BINS := $(shell ls -d $$(pyenv root 2>/dev/null || echo /nonexistent)/versions/3.1[0-3].*/bin \
	2>/dev/null | tr '\n' ':')

# Both example apps through the three migration stages against the local dev server.
# KEEP=1 leaves the dev server running (for its inbox page) until Ctrl-C.
demo: $(STAMP)
	$(PY) example_projects/demo.py $(if $(filter 1 yes true,$(KEEP)),--keep)

matrix: $(STAMP)
	PATH="$(PY_BINS)$$PATH" $(VENV)/bin/tox run-parallel --parallel 2 --parallel-no-spinner

# Side-by-side benchmarks (issue 7): installs the peers into .venv, runs every scenario,
# writes benchmarks/RESULTS.md and refreshes the README's table. BENCH_ARGS="--scale 0.1" etc.
bench: $(STAMP)
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	$(PY) -m benchmarks.run --readme README.md $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tox .pytest_cache .mypy_cache .ruff_cache
