"""`python -m slm_finetune figures`: the PNGs redrawn from saved results, no model loaded."""

import json

from slm_finetune.cli import COMMANDS
from tatweer_common.cli import dispatch

PNG = b"\x89PNG\r\n\x1a\n"
FIGURES = ("loss_curves.png", "error_analysis.png", "baseline_comparison.png")


def run(out) -> int:
    return dispatch("slm_finetune", "", COMMANDS, ["figures", "--outputs", str(out)])


def saved_results(out) -> None:
    history = [{"step": 2, "loss": 2.0}, {"step": 2, "eval_loss": 1.9}]
    (out / "train_summary.json").write_text(
        json.dumps({"log_history": history, "best_step": 2, "base_val_loss": 2.2}))
    tally = {"hallucination": 2, "incomplete": 1, "off_topic": 0, "formatting": 0,
             "overfitting": 0, "other": 1}  # fmt: skip
    (out / "error_analysis.json").write_text(json.dumps(
        {"n_low": 4, "low_definition": "ROUGE-L <= 0.1", "heuristic_tally": tally,
         "reviewed_tally": tally}))  # fmt: skip
    (out / "baseline_results.csv").write_text(
        "approach,label,n_examples,rougeL,bleu,prompt_tokens_mean,seconds_per_example\n"
        "zero_shot,Zero-shot (base),3,0.12,0.01,55,4.2\n"
        "fine_tuned,Fine-tuned (LoRA),3,0.17,0.08,37,4.1\n")


def test_figures_are_redrawn_from_the_saved_results(tmp_path):
    saved_results(tmp_path)
    assert run(tmp_path) == 0
    for name in FIGURES:
        assert (tmp_path / name).read_bytes()[:8] == PNG, name


def test_a_missing_result_names_the_command_that_makes_it(tmp_path, capsys):
    saved_results(tmp_path)
    (tmp_path / "baseline_results.csv").unlink()
    assert run(tmp_path) == 2
    assert "baseline_results.csv: not found (run: python -m slm_finetune baselines)" in (
        capsys.readouterr().err)
    (tmp_path / "error_analysis.json").unlink()
    assert run(tmp_path) == 2
    assert "error_analysis.json: not found (run: python -m slm_finetune evaluate)" in (
        capsys.readouterr().err)
