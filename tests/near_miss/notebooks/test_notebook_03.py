"""Notebook 03 (pipeline run, Task 1.4 logic, dashboard, event table, report) runs headless."""

from __future__ import annotations

import pytest

from notebooks import ROOT, code_outputs, execute_notebook, offline_video_or_skip, stream_text

NOTEBOOK = "notebooks/near_miss/03_evaluation.ipynb"


@pytest.mark.slow
def test_notebook_03_runs_the_pipeline_and_shows_the_artifacts():
    offline_video_or_skip()
    nb = execute_notebook(NOTEBOOK, timeout=600)
    outputs, text = code_outputs(nb), stream_text(nb)
    assert "events by risk level:" in text and "Near-miss events:" in text
    assert "report" in text and "run time:" in text
    assert "same events as the pipeline's run: True" in text  # Task 1.4 replay
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 5  # four plots and one annotated frame
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any("risk_level" in o["data"]["text/html"] for o in tables)
    assert any("spec, literal" in o["data"]["text/html"] for o in tables)
    assert (ROOT / "outputs/smoke/report.html").is_file()
