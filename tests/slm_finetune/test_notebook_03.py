"""Notebook 03 (evaluation) runs headless in smoke mode: table, CIs, examples, taxonomy."""

import json

import pytest

from notebooks import ROOT, execute_notebook

NOTEBOOK = "notebooks/slm_finetune/03_evaluation.ipynb"


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts.append(data.get("text/markdown", "") + data.get("text/plain", ""))
    return "".join(parts)


@pytest.mark.slow
def test_notebook_03_runs_on_a_tiny_subset(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = execute_notebook(NOTEBOOK, timeout=900)
    outputs = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    assert "smoke mode: True" in outputs
    assert "Fine-Tuned Model" in outputs and "Improvement (%)" in outputs
    assert "ROUGE-L 95% CI" in outputs and "largest relative improvement" in outputs
    assert outputs.count("**Fine-Tuned Model Output:**") == 6  # 3 examples, best and worst
    assert "disagreements" in outputs
    summary = json.loads((ROOT / "outputs/smoke/evaluation/evaluation_summary.json").read_text())
    assert summary["n_examples"] == 3 and summary["generation"]["max_new_tokens"] == 16
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert "## Root Cause Hypotheses" in headings
