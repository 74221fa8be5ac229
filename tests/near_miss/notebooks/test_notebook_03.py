"""Notebook 03 (pipeline run, Task 1.4 logic, dashboard, event table, report) in full mode."""

from __future__ import annotations

import pytest

from notebooks import (
    code_outputs,
    displayed_text,
    execute_notebook,
    offline_video_or_skip,
    stream_text,
)

NOTEBOOK = "notebooks/near_miss/03_evaluation.ipynb"


@pytest.mark.slow
def test_notebook_03_runs_the_pipeline_and_shows_the_artifacts():
    offline_video_or_skip()
    nb = execute_notebook(NOTEBOOK, timeout=900, smoke=False)
    outputs, text = code_outputs(nb), stream_text(nb)
    assert "events by risk level:" in text and "Near-miss events:" in text
    assert "report: [outputs/report.html]" in displayed_text(nb) and "run time:" in text
    assert "same events as the pipeline's run: True" in text  # Task 1.4 replay
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 5  # four plots and one annotated frame
    tables = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("risk_level" in t for t in tables) and any("spec, literal" in t for t in tables)
