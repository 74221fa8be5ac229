"""Command line: ``python -m slm_finetune COMMAND ...`` (``--help`` lists the commands)."""

from __future__ import annotations

from tatweer_common.cli import dispatch

# command -> (module with add_arguments/main, one-line help)
COMMANDS = {
    "curate": ("slm_finetune.data.curate", "build, filter and split the IT-support dataset"),
    "train": (
        "slm_finetune.training.train",
        "LoRA fine-tuning with checkpoints, curves and a summary",
    ),
    "bench-precision": (
        "slm_finetune.training.bench",
        "optimizer-step and validation time, float32 vs bf16",
    ),
    "evaluate": (
        "slm_finetune.evaluation.evaluate",
        "base vs fine-tuned: perplexity, ROUGE, BLEU, key facts",
    ),
    "figures": ("slm_finetune.figures", "redraw the PNGs from the committed results"),
    "model-card": (
        "slm_finetune.evaluation.model_card",
        "write MODEL_CARD.md from the saved results",
    ),
    "forgetting": (
        "slm_finetune.bonus.forgetting",
        "catastrophic forgetting: general prompts, WikiText",
    ),
    "baselines": (
        "slm_finetune.bonus.baselines",
        "zero-/few-shot/CoT prompting vs the fine-tuned model",
    ),
    "ask": ("slm_finetune.ask", "answer IT-support questions with the fine-tuned model"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("slm_finetune", __doc__, COMMANDS, argv)
