"""Notebook 01 (setup and data) runs headless in full mode and shows stats and the Data Card."""

import subprocess

import pytest

from notebooks import ROOT, displayed_text, execute_notebook, markdown_headings

NOTEBOOK = "notebooks/slm_finetune/01_setup_and_data.ipynb"


@pytest.mark.slow
def test_notebook_01_rebuilds_the_committed_splits_and_shows_the_data_card(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = execute_notebook(NOTEBOOK, timeout=600, smoke=False)
    outputs = displayed_text(nb)
    assert "smoke mode: False" in outputs
    assert "removed per filter" in outputs and "unique word tokens" in outputs
    assert "# Data Card: IT-support instruction dataset" in outputs
    assert "## Known biases and limitations" in outputs
    assert "## Data Card" in markdown_headings(nb)
    changed = subprocess.run(["git", "status", "--porcelain", "data"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert changed == "", f"curation changed the committed data:\n{changed}"
