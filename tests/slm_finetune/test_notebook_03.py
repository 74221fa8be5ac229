"""Notebook 03 (evaluation) runs headless in full mode on the committed results."""

import json

import pytest

from notebooks import ROOT, displayed_text, execute_notebook, markdown_headings

NOTEBOOK = "notebooks/slm_finetune/03_evaluation.ipynb"


@pytest.mark.slow
def test_notebook_03_shows_the_table_examples_taxonomy_and_root_causes(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = execute_notebook(NOTEBOOK, timeout=900, smoke=False)
    outputs = displayed_text(nb)
    summary = json.loads((ROOT / "outputs/evaluation_summary.json").read_text())
    assert "smoke mode: False" in outputs and f"run {summary['run_id']}" in outputs
    assert "Fine-Tuned Model" in outputs and "Improvement (%)" in outputs
    assert "ROUGE-L 95% CI" in outputs and "largest relative improvement" in outputs
    assert outputs.count("**Fine-Tuned Model Output:**") == 10  # 5 best and 5 worst
    assert "disagreements" in outputs
    assert "low-scoring test answers, and the per-example results:" in outputs
    assert "\n3. **" in outputs and outputs.count("*Test:*") >= 3  # at least 3 hypotheses
    assert "Base Model, spec template (reference)" in outputs
    assert "## Root Cause Hypotheses" in markdown_headings(nb)
