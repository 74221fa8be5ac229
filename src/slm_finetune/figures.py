"""`python -m slm_finetune figures`: redraw the figures from the committed results.

The PNGs are git-ignored but the numbers they show are committed, so a fresh clone gets them
back in seconds, without loading a model: ``loss_curves.png`` from ``train_summary.json``,
``error_analysis.png`` from ``error_analysis.json`` and ``baseline_comparison.png`` from
``baseline_results.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tatweer_common.errors import UserError
from tatweer_common.paths import project_root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outputs", type=Path, help="folder of the saved results (outputs)")


def main(args: argparse.Namespace) -> int:
    import pandas as pd

    from slm_finetune.bonus import baselines
    from slm_finetune.evaluation import error_analysis, evaluate
    from slm_finetune.evaluation.model_card import read_json
    from slm_finetune.training.curves import CURVES_NAME, plot_loss_curves

    out = args.outputs or project_root() / "outputs"
    train = read_json(out / "train_summary.json", "train")
    analysis = read_json(out / evaluate.ANALYSIS_NAME, "evaluate")
    table = out / baselines.RESULTS_NAME
    if not table.is_file():
        raise UserError(f"{table}: not found (run: python -m slm_finetune baselines)")
    written = [
        plot_loss_curves(
            train["log_history"],
            out / CURVES_NAME,
            train.get("best_step"),
            train.get("base_val_loss"),
        ),
        error_analysis.plot_tally(analysis, out / evaluate.PLOT_NAME),
        baselines.plot_comparison(pd.read_csv(table), out / baselines.PLOT_NAME),
    ]
    print("wrote " + ", ".join(str(path) for path in written))
    return 0
