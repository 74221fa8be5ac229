"""Notebook 01 (setup, video loading, preprocessing) runs headless in full mode, as committed."""

from __future__ import annotations

import re

import pytest

from notebooks import execute_notebook, offline_video_or_skip, stream_text

NOTEBOOK = "notebooks/near_miss/01_setup_and_data.ipynb"


@pytest.mark.slow
def test_notebook_01_executes_on_the_whole_video_and_prints_the_metadata():
    offline_video_or_skip()
    text = stream_text(execute_notebook(NOTEBOOK, timeout=600, smoke=False))
    assert "working in the project root" in text and "smoke run" not in text
    assert "video source:" in text and "licence AGPL-3.0" in text
    frames = int(re.search(r"total frames: (\d+)", text).group(1))
    assert "sampled frame indices: [0, " in text
    assert f"{-(-frames // 2)} processed frames out of {frames} source frames" in text
