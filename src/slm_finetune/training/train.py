"""`python -m slm_finetune train`: LoRA fine-tuning with checkpoints, curves and a summary.

Steps: load SmolLM2-135M-Instruct (Hub or offline GGUF copy), tokenise the splits, measure
the base model's validation loss, add LoRA adapters, train with `transformers.Trainer`
(evaluation and checkpoints a few times per epoch, best checkpoint on ``eval_loss``, early
stopping), reload the best checkpoint with ``PeftModel.from_pretrained``, generate for one
validation example, save the adapter + tokenizer, ``train_summary.json`` and
``loss_curves.png``. ``--resume`` continues an interrupted run from its last checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slm_finetune.data.schema import Example, read_jsonl
from slm_finetune.training.config import TrainConfig, load_config
from slm_finetune.training.curves import CURVES_NAME
from slm_finetune.training.hardware import hardware
from slm_finetune.training.precision import Precision, add_precision_option, resolve
from tatweer_common.errors import UserError
from tatweer_common.io import write_text_atomic
from tatweer_common.paths import display_path, is_smoke

SUMMARY_NAME = "train_summary.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML file overriding the preset's values")
    parser.add_argument(
        "--resume", action="store_true", help="continue from the last checkpoint of an earlier run"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny preset: a few steps on a few examples"
    )
    add_precision_option(parser)


def main(args: argparse.Namespace) -> int:
    config = load_config(args.config, smoke=args.smoke or is_smoke())
    if args.precision:
        config = dataclasses.replace(config, precision=args.precision)
    summary = run(config, resume=args.resume)
    print(format_summary(summary))
    return 0


def set_threads(requested: int) -> int:
    """Use every core this process may run on (or ``requested``) for torch's CPU kernels."""
    import torch

    threads = requested or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    return threads


def load_splits(config: TrainConfig) -> tuple[list[Example], list[Example]]:
    """Training and validation examples, cut to ``max_*_examples`` when those are set."""
    train = read_jsonl(config.path("train_file"))
    val = read_jsonl(config.path("val_file"))
    if config.max_train_examples:
        train = train[: config.max_train_examples]
    if config.max_val_examples:
        val = val[: config.max_val_examples]
    if not train or not val:
        raise UserError(f"{config.train_file} and {config.val_file} must hold examples")
    return train, val


def prepare_checkpoints(config: TrainConfig, resume: bool) -> str | None:
    """The checkpoint to resume from, or ``None`` after clearing an earlier run's checkpoints."""
    from transformers.trainer_utils import get_last_checkpoint

    folder = config.path("checkpoint_dir")
    if resume:
        last = get_last_checkpoint(str(folder)) if folder.is_dir() else None
        if last is None:
            raise UserError(f"{folder}: no checkpoint to resume from (run without --resume)")
        print(f"resuming from {last}")
        return last
    if folder.is_dir() and any(folder.glob("checkpoint-*")):
        print(f"starting afresh: removing the earlier run's checkpoints in {folder}")
        shutil.rmtree(folder)
    return None


def training_arguments(config: TrainConfig, n_train: int, precision: Precision,
                       eval_on_start: bool = False) -> Any:
    """The spec's `TrainingArguments`, each value justified (details in the notebook).
    ``eval_on_start`` evaluates before the first step (where an ``init_adapter`` starts).

    ``precision`` "fp16" (a GPU, the spec's rule) or "bf16" (a CPU with native bf16) turns on
    the Trainer's autocast mixed precision; weights and optimizer state stay float32.
    """
    import torch
    from transformers import TrainingArguments

    interval = config.interval(n_train)
    return TrainingArguments(
        output_dir=str(config.path("checkpoint_dir")),
        num_train_epochs=config.num_train_epochs,  # 3 passes over a small set; early stop guards
        max_steps=config.max_steps,  # -1: epochs decide; smoke runs stop after a few steps
        per_device_train_batch_size=config.per_device_train_batch_size,  # 4 x 512 tokens fits
        per_device_eval_batch_size=config.per_device_eval_batch_size,  # no grads: 16, by length
        gradient_accumulation_steps=config.gradient_accumulation_steps,  # effective batch 16
        learning_rate=config.learning_rate,  # 2e-4: usual LoRA rate (zero-initialised adapters)
        lr_scheduler_type=config.lr_scheduler_type,  # cosine: smooth decay, no late jumps
        warmup_steps=config.warmup_ratio,  # float < 1 = ratio: 3% warm-up steadies early Adam
        fp16=precision.name == "fp16",  # the spec: half precision on a GPU
        bf16=precision.name == "bf16",  # CPU autocast where the CPU has native bf16 (2x steps)
        use_cpu=not torch.cuda.is_available(),  # the Trainer's CPU bf16 needs it said
        logging_steps=config.logging_steps,  # 2, not 10: an epoch is only ~25 steps
        eval_strategy="steps",
        eval_steps=interval,  # ~4 evaluations per epoch (spec's 50 would evaluate once in total)
        eval_on_start=eval_on_start,
        save_strategy="steps",
        save_steps=interval,  # a checkpoint at every evaluation, so the best one can be kept
        save_total_limit=config.save_total_limit,  # the best and the latest checkpoint on disk
        load_best_model_at_end=True,  # end on the lowest validation loss, not the last step
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        restore_callback_states_from_checkpoint=True,  # --resume keeps early-stopping patience
        train_sampling_strategy="group_by_length" if config.group_by_length else "random",
        dataloader_num_workers=0,  # 2 cores: loader processes would steal the compute threads
        dataloader_pin_memory=torch.cuda.is_available(),  # pinned memory only helps a GPU
        seed=config.seed,
        data_seed=config.seed,
        report_to="none",
    )


def evaluate_loss(
    model: Any, dataset: Any, collator: Any, config: TrainConfig, precision: Precision
) -> float:
    """Validation loss of ``model`` computed exactly as the trainer's ``eval_loss``."""
    import torch
    from transformers import Trainer, TrainingArguments

    args = TrainingArguments(
        output_dir=str(config.path("checkpoint_dir")),
        per_device_eval_batch_size=config.per_device_eval_batch_size,
        fp16=precision.name == "fp16",
        bf16=precision.name == "bf16",
        use_cpu=not torch.cuda.is_available(),
        report_to="none",
        dataloader_num_workers=0,
        dataloader_pin_memory=False,
    )
    trainer = Trainer(model=model, args=args, data_collator=collator, eval_dataset=dataset)
    return float(trainer.evaluate()["eval_loss"])


def step_timer() -> Any:
    """Trainer callback timing optimizer steps and evaluations apart (printed, never asserted)."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.step_seconds: list[float] = []
            self.eval_seconds: list[float] = []
            self.start_step = 0
            self._mark = time.perf_counter()

        def on_train_begin(self, args, state, control, **kwargs):
            self.start_step = state.global_step
            self._mark = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):  # all micro-batches + update
            self.step_seconds.append(time.perf_counter() - self._mark)
            self._mark = time.perf_counter()

        def on_evaluate(self, args, state, control, **kwargs):
            self.eval_seconds.append(time.perf_counter() - self._mark)
            self._mark = time.perf_counter()

        def on_save(self, args, state, control, **kwargs):
            self._mark = time.perf_counter()

    return StepTimer()


def generate_response(
    model: Any, tokenizer: Any, example: Example, max_new_tokens: int, prompt_format: str
) -> str:
    """Greedy answer of ``model`` for ``example``, prompted in ``prompt_format``."""
    import torch

    from slm_finetune.prompt import generation_prompt

    inputs = tokenizer(generation_prompt(tokenizer, example, prompt_format), return_tensors="pt")
    with torch.no_grad():
        out = model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            repetition_penalty=1.1,  # mild: a 135M model otherwise tends to loop
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    return tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)


def save_adapter(peft_model: Any, tokenizer: Any, folder: Path, prompt_format: str) -> None:
    """Save adapter weights + tokenizer + prompt-format record to ``folder``, replacing it
    only when complete.

    The adapter names the Hub model as its base, not the local cache folder it was trained
    from (the offline de-quantised copy), so the saved folder is portable.
    """
    from slm_finetune.prompt import write_prompt_format
    from slm_finetune.training.model import HUB_ID

    for adapter_config in peft_model.peft_config.values():
        adapter_config.base_model_name_or_path = HUB_ID
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    peft_model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    write_adapter_readme(tmp)
    write_prompt_format(tmp, prompt_format)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def write_adapter_readme(folder: Path) -> Path:
    """Replace PEFT's placeholder ``README.md`` with a short card pointing to MODEL_CARD.md."""
    from slm_finetune.training.model import HUB_ID

    text = (
        f"---\nbase_model: {HUB_ID}\nlibrary_name: peft\nlicense: mit\n"
        "pipeline_tag: text-generation\ntags:\n  - lora\n  - it-support\n---\n\n"
        f"# LoRA adapter: {HUB_ID} for IT-support Q&A\n\n"
        f"LoRA weights (PEFT) for [{HUB_ID}](https://huggingface.co/{HUB_ID}), fine-tuned on "
        "the IT-support dataset of this repository (`data/`). The model card (training data "
        "and procedure, evaluation results, limitations, usage) is `MODEL_CARD.md` at the "
        "repository root, written by `python -m slm_finetune model-card`.\n\n"
        'Try it: `python -m slm_finetune ask "How do I flush the DNS cache on Windows?"`.\n'
    )
    path = Path(folder) / "README.md"
    write_text_atomic(path, text)
    return path


def finish_with_best(checkpoint: str, example: Example, config: TrainConfig) -> dict[str, str]:
    """Reload the best checkpoint on a fresh base model, generate once, save the adapter."""
    from peft import PeftModel

    from slm_finetune.training.model import load_base_model

    base, tokenizer, _ = load_base_model()
    model = PeftModel.from_pretrained(base, checkpoint)
    model.eval()
    fmt = config.prompt_format
    generated = generate_response(model, tokenizer, example, config.max_new_tokens, fmt)
    # float32: the adapter is saved from this model, so it is never cast to bf16
    save_adapter(model, tokenizer, config.path("adapter_dir"), fmt)
    return {
        "instruction": example.instruction,
        "input": example.input,
        "reference": example.output,
        "generated": generated,
    }


def build_trainer(
    model, datasets, collator, config: TrainConfig, precision: Precision, eval_on_start: bool
) -> tuple[Any, Any]:
    """`transformers.Trainer` with early stopping, the step timer and a heap trim after every
    step (`heap`); its validation passes run on a merged bf16 copy of the model when training
    in bf16 on a CPU (`fast_eval`)."""
    from transformers import EarlyStoppingCallback

    from slm_finetune.training.fast_eval import trainer_class
    from slm_finetune.training.heap import trim_callback

    train_ds, val_ds = datasets
    early_stop = EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)
    timer = step_timer()
    trainer = trainer_class()(
        model=model,
        args=training_arguments(config, len(train_ds), precision, eval_on_start),
        train_dataset=train_ds,
        eval_dataset=val_ds,
        data_collator=collator,
        callbacks=[early_stop, timer, trim_callback()],
    )
    return trainer, timer


def lora_model(model: Any, config: TrainConfig) -> tuple[Any, Any]:
    """Fresh LoRA weights, or those of ``init_adapter`` (a second phase of a finished run)."""
    from slm_finetune.training.lora import add_lora, load_lora

    if config.init_adapter:
        return load_lora(model, config.path("init_adapter"))
    return add_lora(model, config)


def starting_loss(log_history: list[dict], config: TrainConfig) -> float | None:
    """The validation loss an ``init_adapter`` starts from: the run's own evaluation at step 0
    (so it compares with the later ones); None for fresh weights."""
    if not config.init_adapter:
        return None
    return next((e["eval_loss"] for e in log_history if "eval_loss" in e and e["step"] == 0),
                None)


def run(config: TrainConfig, resume: bool = False) -> dict[str, Any]:
    """Train as configured and write the adapter, summary and curves; return the summary."""
    import transformers

    from slm_finetune.data.features import build_collator, build_dataset, sort_by_length
    from slm_finetune.training.lora import check_init_adapter
    from slm_finetune.training.model import load_base_model

    started = time.perf_counter()
    threads = set_threads(config.num_threads)
    precision = resolve(config.precision)
    print(f"precision: {precision.name} ({precision.reason})")
    transformers.set_seed(config.seed)
    if config.init_adapter:
        check_init_adapter(config.path("init_adapter"), config)
    resume_from = prepare_checkpoints(config, resume)
    train_ex, val_ex = load_splits(config)
    model, tokenizer, source = load_base_model()
    print(model)  # the architecture: the Linear layers named here are the LoRA targets
    encoding = (tokenizer, config.max_length, config.loss_on, config.prompt_format)
    train_ds, dropped = build_dataset(train_ex, *encoding)
    val_ds = sort_by_length(build_dataset(val_ex, *encoding)[0])
    collator = build_collator(tokenizer, config.loss_on)
    base_val_loss = evaluate_loss(model, val_ds, collator, config, precision)
    print(f"base model validation loss ({config.loss_on} tokens): {base_val_loss:.4f}")
    peft_model, counts = lora_model(model, config)
    datasets = (train_ds, val_ds)
    first_eval = bool(config.init_adapter) and resume_from is None  # resumed: in the history
    trainer, timer = build_trainer(peft_model, datasets, collator, config, precision,
                                   first_eval)
    t0 = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume_from)
    train_seconds = time.perf_counter() - t0
    best = trainer.state.best_model_checkpoint or resume_from
    if best is None:
        raise UserError("no checkpoint was saved: raise max_steps or lower eval_steps")
    sample = finish_with_best(best, val_ex[0], config)
    facts = {
        "source": source,
        "counts": counts,
        "threads": threads,
        "dropped": dropped,
        "n_train": len(train_ds),
        "n_val": len(val_ds),
        "base_val_loss": base_val_loss,
        "init_val_loss": starting_loss(trainer.state.log_history, config),
        "train_seconds": train_seconds,
        "total_seconds": time.perf_counter() - started,
        "resumed_from": resume_from,
        "best_checkpoint": best,
        "sample": sample,
        "mean_train_loss": result.training_loss,
        "precision": precision,
    }
    summary = build_summary(config, trainer, timer, facts)
    write_outputs(summary, config)
    return summary


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def early_stopping_fired(trainer: Any, patience: int) -> bool:
    """Whether the early-stopping callback the trainer holds now ran out of patience (read
    from the trainer: ``--resume`` replaces the callback passed in with a restored copy)."""
    from transformers import EarlyStoppingCallback

    return any(c.early_stopping_patience_counter >= patience
               for c in trainer.callback_handler.callbacks
               if isinstance(c, EarlyStoppingCallback))


def build_summary(config, trainer, timer, facts: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready training summary (losses, steps, timings, model source, parameters)."""
    state = trainer.state
    history = [dict(entry) for entry in state.log_history]
    train_losses = [e["loss"] for e in history if "loss" in e]
    val_losses = [e["eval_loss"] for e in history if "eval_loss" in e]
    counts = facts["counts"]
    return {
        "model_source": facts["source"].description,
        "model_source_kind": facts["source"].kind,
        "loss_on": config.loss_on,
        "prompt_format": config.prompt_format,
        "train_examples": facts["n_train"],
        "val_examples": facts["n_val"],
        "train_examples_dropped": facts["dropped"],
        "trainable_params": counts.trainable,
        "total_params": counts.total,
        "trainable_percent": round(counts.percent, 4),
        "final_train_loss": train_losses[-1] if train_losses else None,
        "mean_train_loss": facts["mean_train_loss"],
        "final_val_loss": val_losses[-1] if val_losses else None,
        "best_val_loss": state.best_metric,
        "best_step": state.best_global_step,
        "best_checkpoint": display_path(facts["best_checkpoint"]),
        "base_val_loss": facts["base_val_loss"],
        "init_adapter": config.init_adapter or None,
        "init_val_loss": facts["init_val_loss"],
        "epochs_completed": round(float(state.epoch or 0.0), 3),
        "global_step": state.global_step,
        "max_steps": state.max_steps,
        "eval_steps": trainer.args.eval_steps,
        "early_stopping_fired": early_stopping_fired(trainer, config.early_stopping_patience),
        "resumed_from": facts["resumed_from"] and display_path(facts["resumed_from"]),
        "start_step": timer.start_step,
        "train_wall_time_s": round(facts["train_seconds"], 1),
        "total_wall_time_s": round(facts["total_seconds"], 1),
        "finished_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mean_step_s": _mean(timer.step_seconds),
        "mean_eval_s": _mean(timer.eval_seconds),
        "steps_total_s": round(sum(timer.step_seconds), 1),
        "evals_total_s": round(sum(timer.eval_seconds), 1),
        "n_evals": len(timer.eval_seconds),
        "precision": facts["precision"].name,
        "precision_reason": facts["precision"].reason,
        "hardware": hardware(),
        "torch_threads": facts["threads"],
        "sample_generation": facts["sample"],
        "config": dataclasses.asdict(config),
        "log_history": history,
    }


def write_outputs(summary: dict[str, Any], config: TrainConfig) -> None:
    """``train_summary.json`` and ``loss_curves.png`` in the output folder."""
    from slm_finetune.training.curves import plot_loss_curves

    out = config.path("output_dir")
    write_text_atomic(out / SUMMARY_NAME, json.dumps(summary, indent=2) + "\n")
    plot_loss_curves(
        summary["log_history"], out / CURVES_NAME, summary["best_step"], summary["base_val_loss"]
    )
    print(f"wrote {out / SUMMARY_NAME}, {out / CURVES_NAME} and {config.path('adapter_dir')}")


def format_summary(summary: dict[str, Any]) -> str:
    """The printed training summary (the spec's figures first)."""

    def num(value: Any) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = [
        f"model source:          {summary['model_source']}",
        f"trainable parameters:  {summary['trainable_params']:,} of {summary['total_params']:,}"
        f" ({summary['trainable_percent']:.2f}%)",
        f"final training loss:   {num(summary['final_train_loss'])}",
        f"final validation loss: {num(summary['final_val_loss'])}",
        f"best validation loss:  {num(summary['best_val_loss'])} at step {summary['best_step']}",
        f"base model val. loss:  {num(summary['base_val_loss'])}",
        *([f"starting val. loss:    {num(summary['init_val_loss'])} ({summary['init_adapter']})"]
          if summary.get("init_adapter") else []),
        f"epochs completed:      {summary['epochs_completed']}"
        f" ({summary['global_step']} of {summary['max_steps']} steps)",
        f"early stopping fired:  {summary['early_stopping_fired']}",
        f"precision:             {summary['precision']} ({summary['precision_reason']})",
        f"training wall time:    {summary['train_wall_time_s']} s"
        f" (mean step {num(summary['mean_step_s'])} s)",
        f"  optimizer steps:     {summary['steps_total_s']} s; {summary['n_evals']} evaluation"
        f" passes: {summary['evals_total_s']} s (mean {num(summary['mean_eval_s'])} s)",
    ]
    return "\n".join(lines)
