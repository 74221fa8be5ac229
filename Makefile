# The two commands of the README. Both create/refresh .venv first (quick when up to date).
PY := .venv/bin/python
VIDEO ?=
# the labelled incident clips (offline assets); evaluate is skipped where they are absent
LABELS ?= ../shared/assets/video/incidents/labels.csv

.PHONY: setup run test lint demo check notebooks deliverables

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

# Execute the eight notebooks in place (committed executed), after refreshing their bootstrap cell.
notebooks: setup
	$(PY) -m submission notebooks

# Every committed deliverable, from the spec's video (the offline copy when YouTube is out of
# reach): the near-miss run, its labelled evaluation and benchmark, the Challenge 2 baselines
# and figures, the README results, two test questions answered by both models (shown in the
# demo), the demo video, then the executed notebooks.
deliverables: setup
	$(PY) -m near_miss run
	if [ -f "$(LABELS)" ]; then $(PY) -m near_miss evaluate --labels "$(LABELS)"; fi
	$(PY) -m near_miss bench
	$(PY) -m slm_finetune baselines
	$(PY) -m slm_finetune figures
	$(PY) -m submission results
	$(PY) -m slm_finetune ask --test-questions 2 --base --save outputs/ask_examples.json
	$(PY) -m submission demo
	$(PY) -m submission notebooks
