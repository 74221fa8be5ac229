"""Loss curves from the trainer's ``log_history``: train and validation loss against step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from tatweer_common.io import atomic_path

CURVES_NAME = "loss_curves.png"
# Validation-loss changes below this share of the loss are noise (the last two evaluations of a
# cosine schedule often differ in the 6th digit), neither a rise nor a fall.
FLAT = 1e-3


def loss_series(log_history: Iterable[Mapping]) -> dict[str, list[tuple[int, float]]]:
    """``{"train": [(step, loss)], "eval": [(step, eval_loss)]}`` from the log entries."""
    series: dict[str, list[tuple[int, float]]] = {"train": [], "eval": []}
    for entry in log_history:
        if "loss" in entry:
            series["train"].append((int(entry["step"]), float(entry["loss"])))
        if "eval_loss" in entry:
            series["eval"].append((int(entry["step"]), float(entry["eval_loss"])))
    return series


def plot_loss_curves(
    log_history: Iterable[Mapping],
    path: str | Path,
    best_step: int | None = None,
    base_val_loss: float | None = None,
) -> Path:
    """Save the train/validation loss figure to ``path`` (atomic) and return the path.

    A dashed vertical line marks the best checkpoint; a dotted horizontal line, when given,
    the base model's validation loss measured the same way.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = loss_series(log_history)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key, label, style in (("train", "train loss", "-"), ("eval", "validation loss", "o-")):
        if series[key]:
            steps, losses = zip(*series[key], strict=True)
            ax.plot(steps, losses, style, label=label, markersize=4)
    if best_step is not None:
        label = f"best checkpoint (step {best_step})"
        ax.axvline(best_step, linestyle="--", color="grey", label=label)
    if base_val_loss is not None:
        ax.axhline(base_val_loss, linestyle=":", color="black", label="base model validation loss")
    ax.set_xlabel("training step (optimizer updates)")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title("LoRA fine-tuning of SmolLM2-135M-Instruct")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path


def _train_loss_near(series: list[tuple[int, float]], step: int) -> float:
    """The logged training loss at the last logging step not after ``step``."""
    before = [loss for s, loss in series if s <= step]
    return before[-1] if before else series[0][1]


def interpret_curves(summary: Mapping) -> list[str]:
    """Plain-language reading of the curves, every number taken from the training summary."""
    series = loss_series(summary["log_history"])
    train, evals = series["train"], series["eval"]
    if not train or not evals:
        return ["not enough logged points to interpret the curves"]
    first, last = train[0][1], train[-1][1]
    best_step, best = summary["best_step"], summary["best_val_loss"]
    after_best = [loss for step, loss in evals if step > best_step]
    base = summary["base_val_loss"]
    lines = [
        f"convergence: training loss went from {first:.3f} (step {train[0][0]}) to {last:.3f} "
        f"(step {train[-1][0]}), {100 * (first - last) / first:.0f}% lower; validation loss "
        f"from {evals[0][1]:.3f} to a best of {best:.3f} at step {best_step}.",
        f"base model: validation loss {base:.3f} before fine-tuning; the best checkpoint is "
        f"{'below' if best < base else 'NOT below'} it ({best - base:+.3f}).",
    ]
    if after_best and max(after_best) > best * (1 + FLAT):
        lines.append(
            f"over-fitting: after step {best_step} validation loss rose to {max(after_best):.3f} "
            f"while training loss kept falling to {last:.3f}: the later steps over-fit and the "
            "best checkpoint (not the last) is kept."
        )
    else:
        lines.append(f"over-fitting: no sign: validation loss did not rise after its best point "
                     f"(by more than {100 * FLAT:.1f}%).")
    lines.append(training_length(summary["log_history"], evals, best_step))
    fired = summary["early_stopping_fired"]
    lines.append(
        f"early stopping: {'fired' if fired else 'did not fire'} after "
        f"{summary['epochs_completed']} epoch(s) ({summary['global_step']} of "
        f"{summary['max_steps']} steps)."
    )
    return lines


def training_length(log_history: Iterable[Mapping], evals: list[tuple[int, float]],
                    best_step: int) -> str:
    """Could more training help? Read from one run's validation curve.

    The last evaluation is the best one (within ``FLAT``) and validation loss fell over the
    second half of the run (by more than ``FLAT``): the run never reached the point where
    validation loss turns up, and its curve flattens at the end because the cosine schedule
    takes the learning rate to zero, so it may be under-trained (a longer schedule tells; the
    notebook compares one). Otherwise the minimum came earlier and more steps would over-fit.
    """
    rates = [(int(e["step"]), float(e["learning_rate"])) for e in log_history
             if "learning_rate" in e]
    half = evals[(len(evals) - 1) // 2]
    best = min(loss for _, loss in evals)
    late_best = evals[-1][1] <= best * (1 + FLAT)  # the last evaluation is (about) the best
    fall = (half[1] - evals[-1][1]) / half[1]
    lr_text = ""
    if rates:
        peak, last = max(r for _, r in rates), rates[-1]
        lr_text = (f", while the learning rate decayed to {last[1]:.1e} at step {last[0]} "
                   f"({100 * last[1] / peak:.1f}% of its peak)")
    if late_best and fall > FLAT:
        return (f"training length: may be under-trained: the best checkpoint is at step "
                f"{best_step} and the last evaluation is within {100 * FLAT:.1f}% of it, and "
                f"validation loss fell "
                f"{100 * fall:.1f}% over the second half of the run ({half[1]:.4f} at step "
                f"{half[0]} -> {evals[-1][1]:.4f}){lr_text}: the curve flattens as the schedule "
                "ends, before any sign of over-fitting.")
    change = (f"over the second half it changed {-100 * fall:+.1f}% ({half[1]:.4f} at step "
              f"{half[0]} -> {evals[-1][1]:.4f})")
    if late_best:
        return (f"training length: converged: the best checkpoint is at step {best_step}, "
                f"but {change}.")
    return (f"training length: enough: the best validation loss came at step {best_step} and "
            f"the last evaluation is {100 * (evals[-1][1] / best - 1):.1f}% above it; {change}.")


def overfitting_checklist(summary: Mapping, memorisation_rouge: float | None,
                          scores: Mapping[str, Mapping[str, float]] | None = None) -> list[str]:
    """The spec's overfitting indicators as ``- [x]`` / ``- [ ]`` markdown lines.

    ``memorisation_rouge`` is the highest ROUGE-L F1 between a generated validation answer
    and any training answer (above 0.8 counts as reproducing a training example).
    """
    series = loss_series(summary["log_history"])
    train = series["train"]
    final_train, final_val = summary["final_train_loss"], summary["final_val_loss"]
    gap = final_val - final_train
    best_step = summary["best_step"]
    later = [loss for step, loss in series["eval"] if step > best_step]
    stopped_first = (bool(later) and max(later) > summary["best_val_loss"] * (1 + FLAT)
                     and train[-1][1] < _train_loss_near(train, best_step))
    items = [
        (gap > 0.2 * final_train, f"training loss significantly lower than validation loss at "
         f"the end ({final_train:.3f} vs {final_val:.3f}, gap {gap:+.3f}; threshold 20%)"),
        (stopped_first, f"validation loss stopped improving (best at step {best_step}) before "
         f"training loss did (still falling at step {train[-1][0]})"),
    ]  # fmt: skip
    if memorisation_rouge is not None:
        items.append(
            (
                memorisation_rouge > 0.8,
                "generated validation answers reproduce training "
                f"answers (max ROUGE-L {memorisation_rouge:.2f}; threshold 0.8)",
            )
        )
    if scores:
        items.append(_split_gap(scores["validation"], scores["test"]))
    lines = [f"- [{'x' if flag else ' '}] {text}" for flag, text in items]
    if not scores:
        lines.append("- [ ] validation BLEU/ROUGE much higher than on the held-out test set: "
                     "not measured (python -m slm_finetune evaluate --test-file data/val.jsonl)")
    return lines


SPLIT_GAP = 0.2  # validation this much (relative) above test counts as "much higher"


def _split_gap(val: Mapping[str, float], test: Mapping[str, float]) -> tuple[bool, str]:
    """The checklist's last item: fine-tuned ROUGE-L and BLEU on validation vs test."""
    gaps = {m: (val[m] - test[m]) / test[m] for m in ("rougeL", "bleu") if test.get(m)}
    flag = any(g > SPLIT_GAP for g in gaps.values())
    text = ", ".join(f"{m} {val[m]:.4f} vs {test[m]:.4f} ({100 * g:+.0f}%)"
                     for m, g in gaps.items())
    return flag, (f"validation BLEU/ROUGE much higher than test (fine-tuned model: {text}; "
                  f"threshold +{100 * SPLIT_GAP:.0f}%)")
