"""Notebook 01 (setup, video loading, preprocessing) runs headless on the offline video."""

from __future__ import annotations

import pytest

from near_miss.detection import yolov5_weights
from near_miss.ingest import offline_video, video_metadata
from notebooks import execute_notebook

NOTEBOOK = "notebooks/near_miss/01_setup_and_data.ipynb"


def _stdout(nb) -> str:
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")


@pytest.mark.slow
def test_notebook_01_executes_and_prints_the_metadata():
    video = offline_video()
    missing = [p for p in (video, yolov5_weights()) if not p.is_file()]
    if missing:
        pytest.skip(f"offline assets absent: {', '.join(map(str, missing))}")
    text = _stdout(execute_notebook(NOTEBOOK, timeout=300))
    meta = video_metadata(video)
    assert "video source: offline stand-in" in text and "smoke run" in text
    assert "detector: YOLOv8n unavailable: smoke run" in text and "licence AGPL-3.0" in text
    assert f"total frames: {meta.frames}" in text and f"width:        {meta.width}" in text
    assert "sampled frame indices: [0, " in text
    assert "10 processed frames out of 20 source frames" in text
