"""Notebook 02 (detection validation and tracking) runs headless on a short slice."""

from __future__ import annotations

import pytest

from notebooks import execute_notebook, offline_video_or_skip, stream_text

NOTEBOOK = "notebooks/near_miss/02_detection_tracking.ipynb"


@pytest.mark.slow
def test_notebook_02_executes_and_prints_the_statistics():
    offline_video_or_skip()
    text = stream_text(execute_notebook(NOTEBOOK, timeout=600))
    assert "ms/frame" in text and "detections per class" in text
    for tracker in ("centroid", "sort"):
        assert f"--- {tracker} tracker" in text
    assert text.count("unique IDs:") == 2 and "peak active objects:" in text
