# The two commands of the README. Both create/refresh .venv first (quick when up to date).
PY := .venv/bin/python
VIDEO ?=

.PHONY: setup run test lint demo check

setup:
	bash scripts/setup.sh

run: setup
	$(PY) -m near_miss run $(if $(VIDEO),--video $(VIDEO),)

lint: setup
	$(PY) -m ruff check src tests

test: setup
	$(PY) -m ruff check src tests
	$(PY) -m pytest

demo: setup
	$(PY) -m submission demo

check: setup
	$(PY) -m submission check
