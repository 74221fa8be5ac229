"""Command line: ``python -m slm_finetune COMMAND ...`` (``--help`` lists the commands)."""

from __future__ import annotations

from tatweer_common.cli import dispatch

# command -> (module with add_arguments/main, one-line help)
COMMANDS = {
    "curate": ("slm_finetune.curate", "build, filter and split the IT-support dataset"),
    "train": ("slm_finetune.train", "LoRA fine-tuning with checkpoints, curves and a summary"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("slm_finetune", __doc__, COMMANDS, argv)
