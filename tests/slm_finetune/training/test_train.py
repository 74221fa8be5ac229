"""`python -m slm_finetune train --smoke`: adapter, summary, curves, checkpoints, --resume."""

import json
import shutil
from pathlib import Path

import pytest

from slm_finetune.cli import COMMANDS
from slm_finetune.prompt import FORMAT_FILE, read_prompt_format
from slm_finetune.training.config import SMOKE, load_config
from slm_finetune.training.curves import loss_series, plot_loss_curves
from tatweer_common.cli import dispatch
from tatweer_common.errors import UserError

EXAMPLES = [
    ("How do I flush the DNS cache on Windows?", "",
     "Open Command Prompt as administrator and run `ipconfig /flushdns`."),
    ("Explain this git error.", "fatal: not a git repository",
     "The command ran outside a Git working tree. Change into the project folder first."),
    ("Which process uses port 8080 on Linux?", "",
     "Run `sudo ss -ltnp | grep 8080`; the output names the process and its PID."),
    ("My printer shows as offline.", "Windows 11, network printer",
     "Check power and network, print a configuration page, then re-add the printer."),
    ("How do I create a Python virtual environment?", "",
     "Run `python -m venv .venv` and activate it with `source .venv/bin/activate`."),
    ("Why does my Docker container exit at once?", "exit code 0",
     "Its main process ended. Run a foreground process and read `docker logs`."),
    ("How do I check free disk space on Linux?", "",
     "Run `df -h` per filesystem and `du -sh *` inside a folder."),
    ("Outlook keeps asking for my password.", "Microsoft 365",
     "Clear saved Office credentials in Credential Manager and sign in again."),
]  # fmt: skip

SUMMARY_KEYS = {
    "model_source", "trainable_params", "total_params", "trainable_percent",
    "final_train_loss", "final_val_loss", "best_val_loss", "best_step", "base_val_loss",
    "epochs_completed", "early_stopping_fired", "train_wall_time_s", "resumed_from",
    "start_step", "global_step", "log_history", "sample_generation",
}  # fmt: skip


def main(argv: list[str]) -> int:
    """`python -m slm_finetune train ...` (only this command: others may be under way)."""
    return dispatch("slm_finetune", "", {"train": COMMANDS["train"]}, argv)


def _write_jsonl(path: Path, rows) -> None:
    lines = [json.dumps({"instruction": i, "input": x, "output": o}) for i, x, o in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def smoke_config(tmp_path, monkeypatch) -> Path:
    """A TOML config pointing the smoke preset at a fixture dataset and tmp_path outputs."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _write_jsonl(tmp_path / "train.jsonl", EXAMPLES[:6])
    _write_jsonl(tmp_path / "val.jsonl", EXAMPLES[6:])
    out = tmp_path / "out"
    config = tmp_path / "smoke.toml"
    config.write_text(
        f'train_file = "{tmp_path / "train.jsonl"}"\n'
        f'val_file = "{tmp_path / "val.jsonl"}"\n'
        f'output_dir = "{out}"\n'
        f'checkpoint_dir = "{out / "checkpoints"}"\n'
        f'adapter_dir = "{out / "lora_adapter"}"\n'
        "max_steps = 4\neval_steps = 2\nmax_new_tokens = 8\n",
        encoding="utf-8",
    )
    return config


@pytest.mark.slow
def test_smoke_training_writes_everything_and_resume_continues(smoke_config, capsys):
    out = smoke_config.parent / "out"
    assert main(["train", "--smoke", "--config", str(smoke_config)]) == 0
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary.keys() >= SUMMARY_KEYS
    assert summary["global_step"] == 4 and summary["start_step"] == 0
    assert summary["resumed_from"] is None
    assert summary["trainable_params"] < summary["total_params"]
    assert summary["best_step"] in (2, 4)
    assert summary["best_val_loss"] == min(
        e["eval_loss"] for e in summary["log_history"] if "eval_loss" in e
    )
    assert "de-quantized from Q4_1 GGUF" in summary["model_source"]
    assert summary["precision"] in ("fp32", "bf16") and summary["precision_reason"]
    assert summary["n_evals"] == 2 and summary["hardware"]["cores_available"] >= 1
    assert summary["evals_total_s"] > 0 and summary["steps_total_s"] > 0
    assert summary["sample_generation"]["generated"].strip()
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json"):
        assert (out / "lora_adapter" / name).is_file()
    adapter_config = json.loads((out / "lora_adapter" / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    card = (out / "lora_adapter" / "README.md").read_text()
    assert "MODEL_CARD.md" in card and "More Information Needed" not in card
    assert read_prompt_format(out / "lora_adapter") == summary["prompt_format"] == "template"
    assert (out / "lora_adapter" / FORMAT_FILE).is_file()
    assert (out / "loss_curves.png").stat().st_size > 0
    checkpoints = out / "checkpoints"
    assert (checkpoints / "checkpoint-2").is_dir() and (checkpoints / "checkpoint-4").is_dir()
    assert "final validation loss" in capsys.readouterr().out

    # an interruption after step 3 would have left only checkpoint-2 behind
    shutil.rmtree(checkpoints / "checkpoint-4")
    assert main(["train", "--smoke", "--config", str(smoke_config), "--resume"]) == 0
    resumed = json.loads((out / "train_summary.json").read_text())
    assert resumed["resumed_from"].endswith("checkpoint-2")
    assert resumed["start_step"] == 2 and resumed["global_step"] == 4
    assert [e["step"] for e in resumed["log_history"] if "loss" in e] == [1, 2, 3, 4]

    # a second phase from the finished adapter starts by measuring its validation loss
    second = smoke_config.parent / "second.toml"
    second.write_text(smoke_config.read_text().replace(str(out), str(out) + "2")
                      + f'init_adapter = "{out / "lora_adapter"}"\n', encoding="utf-8")
    assert main(["train", "--smoke", "--config", str(second)]) == 0
    phase = json.loads((smoke_config.parent / "out2" / "train_summary.json").read_text())
    first_eval = next(e for e in phase["log_history"] if "eval_loss" in e)
    assert phase["init_adapter"] == str(out / "lora_adapter") and first_eval["step"] == 0
    assert phase["init_val_loss"] == pytest.approx(first_eval["eval_loss"])
    # the weights of the first run's best checkpoint, not fresh ones
    assert phase["init_val_loss"] == pytest.approx(resumed["best_val_loss"], rel=1e-3)


def test_resume_without_a_checkpoint_is_a_user_error(smoke_config, capsys):
    assert main(["train", "--smoke", "--config", str(smoke_config), "--resume"]) == 2
    assert "no checkpoint to resume from" in capsys.readouterr().err


def test_config_file_overrides_the_preset_and_rejects_mistakes(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("max_steps = 7\nlearning_rate = 1\ntarget_modules = ['q_proj']\n")
    config = load_config(path, smoke=True)
    assert (config.max_steps, config.learning_rate) == (7, 1.0)
    assert config.target_modules == ("q_proj",) and config.max_length == SMOKE.max_length
    for text, problem in (
        ("epochs = 3\n", "unknown key 'epochs'"),
        ("max_steps = 'four'\n", "'max_steps' must be int"),
        ("loss_on = 'prompt'\n", "'loss_on' must be one of"),
        ("precision = 'fp16'\n", "'precision' must be one of"),
        ("prompt_format = 'alpaca'\n", "'prompt_format' must be one of"),
        ("max_steps = \n", "invalid TOML"),
    ):
        path.write_text(text)
        with pytest.raises(UserError, match=problem) as info:
            load_config(path)
        assert str(path) in str(info.value)


def test_intervals_follow_the_epoch_length():
    config = load_config()
    assert config.steps_per_epoch(400) == 25  # 100 batches of 4, accumulated by 4
    assert config.interval(400) == 6  # about 4 evaluations per epoch
    assert SMOKE.interval(400) == 2  # a fixed eval_steps wins


def test_loss_curves_parse_the_log_history_and_save_a_png(tmp_path):
    history = [
        {"step": 2, "loss": 2.0}, {"step": 2, "eval_loss": 1.9}, {"step": 4, "loss": 1.5},
        {"step": 4, "eval_loss": 1.7}, {"step": 4, "train_loss": 1.8},
    ]  # fmt: skip
    series = loss_series(history)
    assert series == {"train": [(2, 2.0), (4, 1.5)], "eval": [(2, 1.9), (4, 1.7)]}
    path = plot_loss_curves(history, tmp_path / "curves.png", best_step=4, base_val_loss=2.1)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _summary(history, best_step, **extra):
    base = {
        "log_history": history, "best_step": best_step, "base_val_loss": 2.5,
        "best_val_loss": min(e["eval_loss"] for e in history if "eval_loss" in e),
        "early_stopping_fired": False, "epochs_completed": 3.0, "global_step": 8,
        "max_steps": 8, "final_train_loss": history[-2]["loss"],
        "final_val_loss": history[-1]["eval_loss"],
    }  # fmt: skip
    return {**base, **extra}


def test_interpretation_and_checklist_read_the_numbers_of_the_run():
    from slm_finetune.training.curves import interpret_curves, overfitting_checklist

    overfit = [
        {"step": 4, "loss": 2.0}, {"step": 4, "eval_loss": 1.8},
        {"step": 8, "loss": 1.0}, {"step": 8, "eval_loss": 2.2},
    ]  # fmt: skip
    lines = interpret_curves(_summary(overfit, 4, early_stopping_fired=True))
    assert "from 2.000 (step 4) to 1.000 (step 8), 50% lower" in lines[0]
    assert "below it (-0.700)" in lines[1]
    assert "rose to 2.200" in lines[2] and "early stopping: fired" in lines[4]
    assert lines[3].startswith("training length: enough")
    gap = {"validation": {"rougeL": 0.30, "bleu": 0.10}, "test": {"rougeL": 0.20, "bleu": 0.09}}
    checks = overfitting_checklist(_summary(overfit, 4), memorisation_rouge=0.9, scores=gap)
    assert [c[:5] for c in checks] == ["- [x]", "- [x]", "- [x]", "- [x]"]
    assert "rougeL 0.3000 vs 0.2000 (+50%)" in checks[3]

    healthy = [
        {"step": 4, "loss": 2.0}, {"step": 4, "eval_loss": 2.1},
        {"step": 8, "loss": 1.9}, {"step": 8, "eval_loss": 2.0},
    ]  # fmt: skip
    lines = interpret_curves(_summary(healthy, 8))
    assert "no sign" in lines[2]
    assert "may be under-trained: the best checkpoint is at step 8" in lines[3]
    checks = overfitting_checklist(_summary(healthy, 8), memorisation_rouge=0.3)
    assert [c[:5] for c in checks] == ["- [ ]", "- [ ]", "- [ ]", "- [ ]"]
    assert "not measured" in checks[3]


@pytest.mark.parametrize(("name", "bf16"), [("bf16", True), ("fp32", False)])
def test_training_arguments_follow_the_precision(tmp_path, name, bf16):
    import dataclasses

    from slm_finetune.training.precision import Precision
    from slm_finetune.training.train import training_arguments

    config = dataclasses.replace(load_config(), checkpoint_dir=str(tmp_path))
    args = training_arguments(config, 375, Precision(name, "test"))
    assert (args.bf16, args.fp16) == (bf16, False)
    assert args.per_device_eval_batch_size == 16 and args.eval_steps == 6


def test_the_spec_three_epoch_run_changes_only_epochs_and_where_it_writes():
    import dataclasses
    from pathlib import Path

    import slm_finetune.training as training
    from slm_finetune.training.config import DEFAULT

    config = load_config(Path(training.__file__).parent / "experiments" / "spec3.toml")
    names = [f.name for f in dataclasses.fields(config)]
    changed = {n for n in names if getattr(config, n) != getattr(DEFAULT, n)}
    assert changed == {"num_train_epochs", "output_dir", "checkpoint_dir", "adapter_dir"}
    assert (config.num_train_epochs, DEFAULT.num_train_epochs) == (3.0, 6.0)
    folders = changed - {"num_train_epochs"}
    assert all(getattr(config, k).startswith("outputs/experiments/") for k in folders)


def test_the_chat_run_changes_only_the_prompt_format_and_where_it_writes():
    import dataclasses
    from pathlib import Path

    import slm_finetune.training as training
    from slm_finetune.training.config import DEFAULT

    config = load_config(Path(training.__file__).parent / "experiments" / "chat.toml")
    names = [f.name for f in dataclasses.fields(config)]
    changed = {n for n in names if getattr(config, n) != getattr(DEFAULT, n)}
    assert changed == {"prompt_format", "output_dir", "checkpoint_dir", "adapter_dir"}
    assert (config.prompt_format, DEFAULT.prompt_format) == ("chat", "template")
    folders = changed - {"prompt_format"}
    assert all(getattr(config, k).startswith("outputs/experiments/chat") for k in folders)


def test_the_continued_run_starts_from_the_deliverable_and_writes_apart():
    import dataclasses

    import slm_finetune.training as training
    from slm_finetune.training.config import DEFAULT

    config = load_config(Path(training.__file__).parent / "experiments" / "continue.toml")
    names = [f.name for f in dataclasses.fields(config)]
    changed = {n for n in names if getattr(config, n) != getattr(DEFAULT, n)}
    assert changed == {"init_adapter", "output_dir", "checkpoint_dir", "adapter_dir"}
    assert config.init_adapter == DEFAULT.adapter_dir
    folders = changed - {"init_adapter"}
    assert all(getattr(config, k).startswith("outputs/experiments/continue") for k in folders)


def test_an_init_adapter_of_another_rank_or_format_is_a_user_error(smoke_config, capsys):
    adapter = smoke_config.parent / "adapter"
    adapter.mkdir()
    with smoke_config.open("a", encoding="utf-8") as f:
        f.write(f'init_adapter = "{adapter}"\n')
    assert main(["train", "--smoke", "--config", str(smoke_config)]) == 2
    assert "no adapter_config.json" in capsys.readouterr().err
    (adapter / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8}))
    assert main(["train", "--smoke", "--config", str(smoke_config)]) == 2
    assert "= ('template', 8, 8, 0.0), but the run trains ('template', 16, 32, 0.05)" in (
        capsys.readouterr().err)


def test_early_stopping_is_read_from_the_callback_the_trainer_holds():
    from types import SimpleNamespace

    from transformers import EarlyStoppingCallback

    from slm_finetune.training.train import early_stopping_fired

    passed_in, restored = EarlyStoppingCallback(3), EarlyStoppingCallback(3)
    restored.early_stopping_patience_counter = 3  # as after --resume: a copy replaced it
    trainer = SimpleNamespace(callback_handler=SimpleNamespace(callbacks=[restored]))
    assert early_stopping_fired(trainer, 3) and passed_in.early_stopping_patience_counter == 0
    restored.early_stopping_patience_counter = 2
    assert not early_stopping_fired(trainer, 3)
