"""Notebook 02 (detection validation and tracking) runs headless on a short slice."""

from __future__ import annotations

import pytest

from near_miss.detection import yolov5_weights
from near_miss.ingest import offline_video
from notebooks import execute_notebook

NOTEBOOK = "notebooks/near_miss/02_detection_tracking.ipynb"


def _stdout(nb) -> str:
    return "".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", []) if out.get("output_type") == "stream"
    )


@pytest.mark.slow
def test_notebook_02_executes_and_prints_the_statistics():
    missing = [p for p in (offline_video(), yolov5_weights()) if not p.is_file()]
    if missing:
        pytest.skip(f"offline assets absent: {', '.join(map(str, missing))}")
    text = _stdout(execute_notebook(NOTEBOOK, timeout=600))
    assert "ms/frame" in text and "detections per class" in text
    for tracker in ("centroid", "sort"):
        assert f"--- {tracker} tracker" in text
    assert text.count("unique IDs:") == 2 and "peak active objects:" in text
