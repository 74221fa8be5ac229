"""Notebook 04 (forgetting and prompting baselines) runs headless in full mode."""

import pytest

from notebooks import displayed_text, execute_notebook, markdown_headings

NOTEBOOK = "notebooks/slm_finetune/04_bonus.ipynb"


@pytest.mark.slow
def test_notebook_04_shows_the_reviewed_forgetting_table_and_the_baselines(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = execute_notebook(NOTEBOOK, timeout=900, smoke=False)
    outputs = displayed_text(nb)
    assert "smoke mode: False" in outputs
    assert "Degradation %" in outputs and "Automatic (fine-tuned)" in outputs
    assert "manual verdicts for 30 of 30 answers" in outputs
    assert outputs.count("tuned manual ") == 15 and outputs.count("reason: ") == 30
    assert "fluency: WikiText perplexity" in outputs and "overall:" in outputs
    assert "===== few_shot prompt" in outputs and "Let's think step by step." in outputs
    assert "Chain-of-thought (base)" in outputs and "chain of thought vs zero-shot" in outputs
    assert "## Catastrophic Forgetting Assessment" in markdown_headings(nb)
