"""Notebook 04 (filters on/off, manual review, benchmark, recommendation) in full mode."""

from __future__ import annotations

import pytest

from near_miss.bench.benchmark import BenchSettings
from notebooks import ROOT, code_outputs, execute_notebook, offline_video_or_skip, stream_text

NOTEBOOK = "notebooks/near_miss/04_bonus.ipynb"


@pytest.mark.slow
def test_notebook_04_compares_filters_reviews_events_and_benchmarks():
    offline_video_or_skip()
    nb = execute_notebook(NOTEBOOK, timeout=1200, smoke=False)
    outputs, text = code_outputs(nb), stream_text(nb)
    assert "replay with filters on == pipeline events: True" in text
    assert "annotated frames in outputs/review/" in text
    assert "recommended:" in text and "full grid (python -m near_miss bench)" in text
    quick = len(BenchSettings.quick().configs)
    assert f"quick benchmark: {quick} configurations in" in text
    tables = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("filters off" in t and "filters on" in t for t in tables)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    review = len(list((ROOT / "outputs/review").glob("*.png")))
    assert review >= 1 and len(images) >= 1 + review  # every review frame and the full plot
    table = (ROOT / "outputs/bench_quick/benchmark.csv").read_text().splitlines()
    assert len(table) == 1 + quick
