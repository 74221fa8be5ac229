"""Notebook 03 (pipeline run, dashboard, event table, report link) runs headless."""

from __future__ import annotations

import pytest

from near_miss.detection import yolov5_weights
from near_miss.ingest import offline_video
from notebooks import ROOT, execute_notebook

NOTEBOOK = "notebooks/near_miss/03_evaluation.ipynb"


@pytest.mark.slow
def test_notebook_03_runs_the_pipeline_and_shows_the_artifacts():
    missing = [p for p in (offline_video(), yolov5_weights()) if not p.is_file()]
    if missing:
        pytest.skip(f"offline assets absent: {', '.join(map(str, missing))}")
    nb = execute_notebook(NOTEBOOK, timeout=600)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "events by risk level:" in text and "Near-miss events:" in text
    assert "report" in text and "run time:" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 5  # four plots and one annotated frame
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any("risk_level" in o["data"]["text/html"] for o in tables)
    assert (ROOT / "outputs/smoke/report.html").is_file()
