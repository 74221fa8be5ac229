"""Notebook 04 (filters on/off, manual review, benchmark, recommendation) runs headless."""

from __future__ import annotations

import pytest

from near_miss.bench.benchmark import BenchSettings
from notebooks import ROOT, code_outputs, execute_notebook, offline_video_or_skip, stream_text

NOTEBOOK = "notebooks/near_miss/04_bonus.ipynb"


@pytest.mark.slow
def test_notebook_04_compares_filters_reviews_events_and_benchmarks():
    offline_video_or_skip()
    nb = execute_notebook(NOTEBOOK, timeout=600)
    outputs, text = code_outputs(nb), stream_text(nb)
    assert "replay with filters on == pipeline events: True" in text
    assert "annotated frames in outputs/smoke/review/" in text
    assert "recommended:" in text and "benchmark table:" in text
    assert "quick benchmark: 2 configurations in" in text
    tables = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("filters off" in t and "filters on" in t for t in tables)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    review = len(list((ROOT / "outputs/smoke/review").glob("*.png")))
    assert len(images) >= 1 + review  # every review frame and the benchmark plot
    table = (ROOT / "outputs/smoke/bench_quick/benchmark.csv").read_text().splitlines()
    assert len(table) == 1 + len(BenchSettings.smoke().configs)
