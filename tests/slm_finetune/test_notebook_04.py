"""Notebook 04 (forgetting and prompting baselines) runs headless on a tiny subset."""

import json

import pytest

from notebooks import ROOT, displayed_text, execute_notebook, markdown_headings

NOTEBOOK = "notebooks/slm_finetune/04_bonus.ipynb"


@pytest.mark.slow
def test_notebook_04_runs_on_a_tiny_subset(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = execute_notebook(NOTEBOOK, timeout=900)
    outputs = displayed_text(nb)
    assert "smoke mode: True" in outputs
    assert "Degradation %" in outputs and "Fine-Tuned Score" in outputs
    assert outputs.count("tuned score") == 3  # one prompt per category, each shown
    assert "===== few_shot prompt" in outputs and "Let's think step by step." in outputs
    assert "Chain-of-thought (base)" in outputs and "beats the fine-tuned model" in outputs
    out = ROOT / "outputs" / "smoke" / "bonus"
    summary = json.loads((out / "forgetting_results.json").read_text(encoding="utf-8"))
    assert summary["fluency"]["n_sentences"] == 5 and len(summary["probes"]) == 3
    assert (out / "baseline_comparison.png").is_file()
    assert "## Catastrophic Forgetting Assessment" in markdown_headings(nb)
