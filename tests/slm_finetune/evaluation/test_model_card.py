"""`python -m slm_finetune model-card`: spec sections, numbers equal the saved results."""

import json
import re
from pathlib import Path

import pytest

from slm_finetune.cli import main
from slm_finetune.evaluation import model_card
from slm_finetune.evaluation.evaluate import TABLE

ROOT = Path(__file__).resolve().parents[3]
SECTIONS = [
    "Model Details", "Intended Use", "Training Data", "Training Procedure",
    "Evaluation Results", "Limitations & Biases", "How to Use", "Citation",
]  # fmt: skip
# numbers written in the template itself: 95% CI, SmolLM2-135M, Windows 11, 4-bit GGUF,
# citation years and arXiv ids, and list indices in the usage snippet (outputs[0], shape[1])
STATIC_NUMBERS = {"95", "135", "11", "4", "2025", "2021", "2502.02737", "2106.09685", "0", "1"}
NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")


def table_rows():
    values = [(31.2345, 12.3456), (35.5, 15.25), (0.21, 0.4123), (0.0312, 0.1587),
              (0.1377, 0.2866), (0.0123, 0.1011), (0.1843, 0.3319), (0.1111, 0.2778)]  # fmt: skip
    rows = []
    for (label, _, higher), (base, tuned) in zip(TABLE, values, strict=True):
        change = (tuned - base) / base * 100 * (1 if higher else -1)
        rows.append({"metric": label, "base": base, "finetuned": tuned, "base_spec": base * 0.9,
                     "improvement_pct": change, "higher_is_better": higher})  # fmt: skip
    return rows


@pytest.fixture
def saved(tmp_path):
    """Saved results of a made-up run (outputs/, adapter, data/) in tmp_path."""
    out, adapter, data = tmp_path / "outputs", tmp_path / "adapter", tmp_path / "data"
    for folder in (out, adapter, data):
        folder.mkdir()
    evaluation = {
        "created_utc": "2026-11-25T03:04:05Z", "test_file": "data/test.jsonl", "n_examples": 47,
        "table": table_rows(), "bootstrap": {"resamples": 1000, "seed": 42},
        "rougeL_ci95": {"base": [0.1213, 0.1544], "finetuned": [0.2611, 0.3120],
                        "base_spec": [0.1011, 0.1302],
                        "difference": [0.1198, 0.1789]},
        "generation": {"max_new_tokens": 200, "repetition_penalty": 1.1, "batch_size": 8},
        "key_facts": {"accuracy_threshold": 0.5, "examples_with_facts": 45,
                      "passed": {"base": 5, "base_spec": 4, "ft": 13}},
        "timings": {"wall_time_s": 487.3},
        "hardware": {"cpu": "Test CPU 9000", "cores_available": 2, "torch_threads": 1,
                     "gpu": None},
        "precision": {"name": "bf16", "reason": "CPU lists amx_bf16"},
    }  # fmt: skip
    train = {
        "model_source": "HuggingFaceTB/SmolLM2-135M-Instruct from the Hugging Face Hub",
        "model_source_kind": "hub", "total_params": 139399488, "trainable_params": 4884480,
        "trainable_percent": 3.5039, "epochs_completed": 2.72, "global_step": 68,
        "eval_steps": 6, "train_wall_time_s": 3123.4, "total_wall_time_s": 3301.9,
        "early_stopping_fired": True, "best_step": 48, "best_val_loss": 1.2345,
        "base_val_loss": 2.3456, "torch_threads": 2, "start_step": 0,
        "steps_total_s": 2901.5, "evals_total_s": 180.2, "n_evals": 11,
        "precision": "fp32", "precision_reason": "--precision fp32",
        "hardware": {"cpu": "Train CPU 7000", "gpu": None},
        "config": {"learning_rate": 0.0002, "lr_scheduler_type": "cosine", "warmup_ratio": 0.03,
                   "per_device_train_batch_size": 4, "gradient_accumulation_steps": 4,
                   "num_train_epochs": 3.0, "max_length": 512, "seed": 42, "loss_on": "response",
                   "early_stopping_patience": 3},
    }  # fmt: skip
    errors = {"n_low": 16, "reviewed_tally": None,
              "heuristic_tally": {"hallucination": 5, "incomplete": 6, "off_topic": 1,
                                  "formatting": 2, "overfitting": 1, "other": 1}}  # fmt: skip
    lora = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "bias": "none",
            "task_type": "CAUSAL_LM", "target_modules": ["v_proj", "q_proj"]}  # fmt: skip
    for path, value in ((out / "evaluation_summary.json", evaluation),
                        (out / "train_summary.json", train), (out / "error_analysis.json", errors),
                        (adapter / "adapter_config.json", lora)):  # fmt: skip
        path.write_text(json.dumps(value), encoding="utf-8")
    for split, n in (("train", 5), ("val", 2), ("test", 3)):
        (data / f"{split}.jsonl").write_text("{}\n" * n, encoding="utf-8")
    manifest = ["split,source"] + ["train,seed"] * 2 + ["train,synthetic"] * 3
    manifest += ["val,synthetic"] * 2 + ["test,synthetic"] * 3 + ["removed,synthetic"]
    (data / "manifest.csv").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return out, adapter, data


def render(saved):
    return model_card.render_card(model_card.card_context(*saved))


def allowed_numbers(saved) -> set[str]:
    """Every way the card may print a number of the saved files, versions or template text."""
    out, adapter, data = saved
    context = model_card.card_context(out, adapter, data)
    allowed = set(NUMBER.findall(json.dumps(context, default=str)))
    allowed |= STATIC_NUMBERS

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            for v in (value, abs(value), value * 100):
                allowed.update({f"{v:.4f}", f"{v:.2f}", f"{v:.1f}", f"{v:.0f}", f"{v:,}", str(v)})

    walk(context)
    return allowed


def test_card_has_the_spec_sections_in_order(saved):
    card = render(saved)
    headers = re.findall(r"^(#{1,2}) (.+)$", card, re.MULTILINE)
    assert headers[0] == ("#", f"Model Card: {model_card.MODEL_NAME}")
    assert [title for level, title in headers if level == "##"] == SECTIONS


def test_table_values_equal_the_saved_results(saved):
    card = render(saved)
    rows = {row["metric"]: row for row in table_rows()}
    shown = {"Perplexity": "Perplexity (response tokens)", "ROUGE-1": "ROUGE-1",
             "ROUGE-2": "ROUGE-2", "ROUGE-L": "ROUGE-L", "BLEU": "BLEU"}  # fmt: skip
    for label, metric in shown.items():
        line = re.search(rf"^\| {re.escape(label)} +\|(.+)$", card, re.MULTILINE).group(1)
        base, tuned, change, spec = [cell.strip() for cell in line.split("|")[:4]]
        row = rows[metric]
        assert base == f"{row['base']:.4f}" and tuned == f"{row['finetuned']:.4f}"
        assert spec == f"{row['base_spec']:.4f}"
        if row["higher_is_better"]:
            assert change == f"{row['improvement_pct']:+.1f}%"
        else:
            assert change == f"{row['improvement_pct']:.1f}% lower"
    assert "| 60.5% lower |" in card  # perplexity 31.2345 -> 12.3456 is a decrease
    assert "13 of the 45 test examples that have key facts" in card
    assert ", 5 from the base model (4 with the spec template)" in card
    assert "base, spec template 0.1011 to 0.1302" in card
    front = card.split("---")[1]
    assert "license: mit" in front and "model-index:" in front and "datasets:\n  - " in front
    assert "type: rougeL\n            name: ROUGE-L\n            value: 0.2866" in front
    assert "fine-tuned 0.2611 to 0.3120" in card


def test_every_number_comes_from_the_saved_results(saved):
    card = render(saved)
    unknown = sorted(set(NUMBER.findall(card)) - allowed_numbers(saved))
    assert unknown == []


def test_no_placeholder_is_left_and_limitations_are_complete(saved):
    card = render(saved)
    prose = re.sub(r"^```.*?^```", " ", card, flags=re.DOTALL | re.MULTILINE)  # code blocks
    prose = re.sub(r"`[^`\n]*`", " ", prose)
    assert re.findall(r"\[[^\]]*\](?!\()", prose) == []  # links [text](url) are fine
    limitations = card.split("## Limitations & Biases")[1].split("\n## ")[0]
    assert len(re.findall(r"^- ", limitations, re.MULTILINE)) >= 5
    for fact in ("from the Hugging Face Hub", "Train CPU 7000", "3123.4 s", "487.3 s",
                 "float32 for training (--precision fp32)", "2901.5 s in 68 optimizer steps",
                 "180.2 s in 11 validation passes",
                 "Evaluation (perplexity and generation): bf16 (model cast to bf16).",
                 "patience 3", "it fired", "5 training examples, 2 validation, 3 test",
                 "seed: 2 examples", "synthetic: 8 examples", "Transformers "):  # fmt: skip
        assert fact in card


def test_card_says_when_the_reviews_are_for_another_run(saved):
    out = saved[0]
    errors = json.loads((out / "error_analysis.json").read_text())
    assert "reviews in" not in render(saved)
    note = "the written reviews in outputs/r.json are for evaluation run abc, not this run xyz"
    errors["review"] = {"applies": False, "note": note}
    (out / "error_analysis.json").write_text(json.dumps(errors))
    assert f"Note: {note}." in render(saved)


def test_command_writes_the_card_and_names_a_missing_input(saved, tmp_path, capsys):
    out, adapter, data = saved
    card = tmp_path / "CARD.md"
    args = ["model-card", "--outputs", str(out), "--adapter", str(adapter), "--data", str(data)]
    assert main([*args, "--card", str(card)]) == 0
    assert card.read_text() == render(saved)
    (out / "evaluation_summary.json").unlink()
    assert main([*args, "--card", str(card)]) == 2
    err = capsys.readouterr().err
    assert "evaluation_summary.json: not found (run: python -m slm_finetune evaluate)" in err


def test_committed_card_matches_the_committed_results():
    card = ROOT / model_card.CARD_NAME
    outputs = ROOT / "outputs"
    if not (card.is_file() and (outputs / "evaluation_summary.json").is_file()):
        pytest.skip("no committed MODEL_CARD.md and evaluation results yet")
    context = model_card.card_context(outputs, outputs / "lora_adapter", ROOT / "data")
    assert card.read_text(encoding="utf-8") == model_card.render_card(context), (
        "MODEL_CARD.md is stale: run python -m slm_finetune model-card"
    )
