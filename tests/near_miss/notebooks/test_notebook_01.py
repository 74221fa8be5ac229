"""Notebook 01 (setup, video loading, preprocessing) runs headless on the offline video."""

from __future__ import annotations

import pytest

from near_miss.ingest import video_metadata
from notebooks import execute_notebook, offline_video_or_skip, stream_text

NOTEBOOK = "notebooks/near_miss/01_setup_and_data.ipynb"


@pytest.mark.slow
def test_notebook_01_executes_and_prints_the_metadata():
    video = offline_video_or_skip()
    text = stream_text(execute_notebook(NOTEBOOK, timeout=300))
    meta = video_metadata(video)
    assert "video source: offline stand-in" in text and "smoke run" in text
    assert "detector: YOLOv8n unavailable: smoke run" in text and "licence AGPL-3.0" in text
    assert f"total frames: {meta.frames}" in text and f"width:        {meta.width}" in text
    assert "sampled frame indices: [0, " in text
    assert "10 processed frames out of 20 source frames" in text
