"""Notebook 01 (setup and data) runs headless in smoke mode and shows stats and the Data Card."""

import pytest

from notebooks import displayed_text, execute_notebook, markdown_headings

NOTEBOOK = "notebooks/slm_finetune/01_setup_and_data.ipynb"


@pytest.mark.slow
def test_notebook_01_runs_and_shows_statistics_and_data_card():
    nb = execute_notebook(NOTEBOOK, timeout=300)
    outputs = displayed_text(nb)
    assert "smoke mode: True" in outputs
    assert "removed per filter" in outputs and "unique word tokens" in outputs
    assert "# Data Card: IT-support instruction dataset" in outputs
    assert "## Known biases and limitations" in outputs
    assert "## Data Card" in markdown_headings(nb)
