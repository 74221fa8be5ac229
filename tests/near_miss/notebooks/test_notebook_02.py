"""Notebook 02 (detection validation and tracking) runs headless in full mode."""

from __future__ import annotations

import pytest

from notebooks import execute_notebook, offline_video_or_skip, stream_text

NOTEBOOK = "notebooks/near_miss/02_detection_tracking.ipynb"


@pytest.mark.slow
def test_notebook_02_detects_and_tracks_the_first_300_frames():
    offline_video_or_skip()
    text = stream_text(execute_notebook(NOTEBOOK, timeout=900, smoke=False))
    assert "ms/frame" in text and "detections per class" in text
    assert "150 processed frames" in text  # the spec's first 300 frames at stride 2
    for tracker in ("centroid", "sort"):
        assert f"--- {tracker} tracker" in text
    assert text.count("unique IDs:") == 2 and "peak active objects:" in text
