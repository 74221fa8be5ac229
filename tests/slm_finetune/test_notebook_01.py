"""Notebook 01 (setup and data) runs headless in smoke mode and shows stats and the Data Card."""

import pytest

from notebooks import execute_notebook

NOTEBOOK = "notebooks/slm_finetune/01_setup_and_data.ipynb"


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts.append(data.get("text/markdown", "") + data.get("text/plain", ""))
    return "".join(parts)


@pytest.mark.slow
def test_notebook_01_runs_and_shows_statistics_and_data_card():
    nb = execute_notebook(NOTEBOOK, timeout=300)
    outputs = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    assert "smoke mode: True" in outputs
    assert "removed per filter" in outputs and "unique word tokens" in outputs
    assert "# Data Card: IT-support instruction dataset" in outputs
    assert "## Known biases and limitations" in outputs
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert "## Data Card" in headings
