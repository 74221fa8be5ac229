"""Notebook 03 (evaluation) runs headless in smoke mode: table, CIs, examples, taxonomy."""

import json

import pytest

from notebooks import ROOT, displayed_text, execute_notebook, markdown_headings

NOTEBOOK = "notebooks/slm_finetune/03_evaluation.ipynb"


@pytest.mark.slow
def test_notebook_03_runs_on_a_tiny_subset(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = execute_notebook(NOTEBOOK, timeout=900)
    outputs = displayed_text(nb)
    assert "smoke mode: True" in outputs
    assert "Fine-Tuned Model" in outputs and "Improvement (%)" in outputs
    assert "ROUGE-L 95% CI" in outputs and "largest relative improvement" in outputs
    assert outputs.count("**Fine-Tuned Model Output:**") == 6  # 3 examples, best and worst
    assert "disagreements" in outputs
    summary = json.loads((ROOT / "outputs/smoke/evaluation/evaluation_summary.json").read_text())
    assert summary["n_examples"] == 3 and summary["generation"]["max_new_tokens"] == 16
    assert "## Root Cause Hypotheses" in markdown_headings(nb)
