"""`python -m slm_finetune bench-precision`: optimizer-step time of float32 vs bf16 autocast.

Runs the training recipe for a few optimizer steps in each precision, one after the other
in one process: a fresh base model with fresh LoRA adapters each time, the same seed and so
the same batches. Prints, and writes to ``outputs/precision_benchmark.json``, every step's
time and logged loss; the first step (kernel warm-up) is left out of the mean.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from typing import Any

from slm_finetune.training.config import DEFAULT, TrainConfig
from slm_finetune.training.precision import Precision, resolve
from tatweer_common.io import write_text_atomic

RESULT_NAME = "precision_benchmark.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=3, help="optimizer steps each (default 3)")
    parser.add_argument(
        "--precisions", default="fp32,bf16", help="comma-separated (default fp32,bf16)"
    )


def main(args: argparse.Namespace) -> int:
    from slm_finetune.training.train import set_threads

    set_threads(DEFAULT.num_threads)
    runs = [bench_one(DEFAULT, resolve(name), args.steps) for name in args.precisions.split(",")]
    from slm_finetune.training.hardware import hardware

    result = {"steps": args.steps, "runs": runs, "hardware": hardware()}
    write_text_atomic(DEFAULT.path("output_dir") / RESULT_NAME, json.dumps(result, indent=2) + "\n")
    print(format_bench(runs))
    return 0


def bench_one(config: TrainConfig, precision: Precision, steps: int) -> dict[str, Any]:
    """Train ``steps`` optimizer steps in ``precision``, then one validation pass; times, losses."""
    import transformers
    from transformers import Trainer

    from slm_finetune.data.features import build_collator, build_dataset, sort_by_length
    from slm_finetune.training.lora import add_lora
    from slm_finetune.training.model import load_base_model
    from slm_finetune.training.train import load_splits, step_timer, training_arguments

    transformers.set_seed(config.seed)
    model, tokenizer, _ = load_base_model()
    train_ex, val_ex = load_splits(config)
    train_ds, _ = build_dataset(train_ex, tokenizer, config.max_length, config.loss_on)
    val_ds = sort_by_length(build_dataset(val_ex, tokenizer, config.max_length, config.loss_on)[0])
    peft_model, _ = add_lora(model, config, verbose=False)
    with tempfile.TemporaryDirectory() as scratch:
        cfg = dataclasses.replace(config, max_steps=steps, logging_steps=1, checkpoint_dir=scratch)
        args = dataclasses.replace(
            training_arguments(cfg, len(train_ds), precision),
            eval_strategy="no",
            save_strategy="no",
            load_best_model_at_end=False,
        )
        timer = step_timer()
        trainer = Trainer(
            model=peft_model,
            args=args,
            train_dataset=train_ds,
            data_collator=build_collator(tokenizer, config.loss_on),
            callbacks=[timer],
        )
        trainer.train()
        started = time.perf_counter()
        val_loss = trainer.evaluate(eval_dataset=val_ds)["eval_loss"]
        eval_s = time.perf_counter() - started
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    timed = timer.step_seconds[1:] or timer.step_seconds
    return {
        "precision": precision.name,
        "reason": precision.reason,
        "step_s": [round(s, 2) for s in timer.step_seconds],
        "mean_step_s_after_first": round(statistics.mean(timed), 2),
        "losses": [round(loss, 4) for loss in losses],
        "eval_pass_s": round(eval_s, 1),
        "val_loss_after": round(val_loss, 4),
    }


def format_bench(runs: list[dict[str, Any]]) -> str:
    """One line per precision, then the speed-up of each against the first."""
    lines = [
        f"{r['precision']:>5}: steps {r['step_s']} s, mean after the first "
        f"{r['mean_step_s_after_first']} s; losses {r['losses']}; validation pass "
        f"{r['eval_pass_s']} s (loss {r['val_loss_after']})"
        for r in runs
    ]
    ref = runs[0]["mean_step_s_after_first"]
    lines += [
        f"{r['precision']} vs {runs[0]['precision']}: {ref / r['mean_step_s_after_first']:.2f}x"
        for r in runs[1:]
    ]
    return "\n".join(lines)
