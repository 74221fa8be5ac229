"""The training notebook runs end to end with the smoke preset."""

import pytest

from notebooks import ROOT, execute_notebook

NOTEBOOK = "notebooks/slm_finetune/02_model_training.ipynb"


@pytest.mark.slow
@pytest.mark.skipif(
    not (ROOT / "data" / "train.jsonl").is_file(), reason="data/train.jsonl not curated yet"
)
def test_training_notebook_runs_in_smoke_mode(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = execute_notebook(NOTEBOOK, timeout=900)
    text = "\n".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )  # fmt: skip
    assert "trainable params" in text
    assert "final validation loss" in text
    assert "convergence:" in text and "early stopping:" in text
    assert "- [" in text  # the checklist
    assert (ROOT / "outputs" / "smoke" / "loss_curves.png").is_file()
