"""The submission's expected files, the command that makes each, and loaders for them.

Paths are relative to the project root. ``require`` turns a missing artifact into a one-line
``UserError`` naming the file and the command that makes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tatweer_common.errors import UserError

NM_RUN = "python -m near_miss run"
NM_BENCH = "python -m near_miss bench"
NM_EVAL = "python -m near_miss evaluate --labels LABELS.csv"
FT_CURATE = "python -m slm_finetune curate"
FT_TRAIN = "python -m slm_finetune train"
FT_FIGURES = "python -m slm_finetune figures"  # redrawn from committed results
FT_EVAL = "python -m slm_finetune evaluate"
FT_CARD = "python -m slm_finetune model-card"
FT_FORGET = "python -m slm_finetune forgetting"
FT_BASELINES = "python -m slm_finetune baselines"
FT_ASK = "python -m slm_finetune ask --test-questions 2 --base --save outputs/ask_examples.json"
DEMO = "python -m submission demo"
RESULTS = "python -m submission results"
COMMITTED = "committed in the repository"


@dataclass(frozen=True)
class Artifact:
    """One expected file (or folder, path ending in "/") and how it is made."""

    path: str
    command: str
    note: str = ""

    @property
    def is_dir(self) -> bool:
        return self.path.endswith("/")

    def exists(self, root: Path) -> bool:
        target = root / self.path
        return target.is_dir() and any(target.iterdir()) if self.is_dir else target.is_file()


NOTEBOOKS = [
    f"notebooks/{pkg}/{name}.ipynb"
    for pkg, names in (
        ("near_miss", ("01_setup_and_data", "02_detection_tracking", "03_evaluation", "04_bonus")),
        ("slm_finetune", ("01_setup_and_data", "02_model_training", "03_evaluation", "04_bonus")),
    )
    for name in names
]

SOURCE_FILES = [
    Artifact("README.md", COMMITTED),
    Artifact("requirements.txt", COMMITTED),
    *(Artifact(nb, COMMITTED) for nb in NOTEBOOKS),
    Artifact("data/train.jsonl", FT_CURATE),
    Artifact("data/val.jsonl", FT_CURATE),
    Artifact("data/test.jsonl", FT_CURATE),
]

OUTPUTS = [
    *(Artifact(f"outputs/{name}", NM_RUN) for name in (
        "annotated_video.mp4", "report.html", "events.csv", "tracks.csv", "run.json",
        "timeline.png", "heatmap.png", "frequency.png", "risk_distribution.png")),
    Artifact("outputs/benchmark.csv", NM_BENCH),
    Artifact("outputs/benchmark.png", NM_BENCH),
    Artifact("outputs/incident_eval.csv", NM_EVAL),
    Artifact("outputs/ask_examples.json", FT_ASK),
    Artifact("outputs/lora_adapter/", FT_TRAIN),
    Artifact("outputs/loss_curves.png", FT_FIGURES),
    Artifact("outputs/train_summary.json", FT_TRAIN),
    Artifact("outputs/evaluation_summary.json", FT_EVAL),
    Artifact("outputs/evaluation_results.csv", FT_EVAL),
    Artifact("outputs/error_analysis.png", FT_FIGURES),
    Artifact("outputs/forgetting_results.json", FT_FORGET),
    Artifact("outputs/baseline_results.csv", FT_BASELINES),
    Artifact("outputs/baseline_outputs.csv", FT_BASELINES),
    Artifact("outputs/baseline_comparison.png", FT_FIGURES),
    Artifact("MODEL_CARD.md", FT_CARD),
    Artifact("demo_video.mp4", DEMO),
]

BY_PATH = {a.path: a for a in SOURCE_FILES + OUTPUTS}


def command_for(path: str) -> str:
    """The command that makes ``path`` (a project-relative path)."""
    artifact = BY_PATH.get(path)
    return artifact.command if artifact else "see README.md, How to Run"


def require(root: Path, path: str) -> Path:
    """``root / path``, or a UserError naming the missing artifact and its command."""
    target = root / path
    if not target.exists():
        raise UserError(f"{path} is missing (make it with: {command_for(path)})")
    return target


def load_json(root: Path, path: str) -> dict[str, Any]:
    """A required JSON artifact, parsed; a clear error when missing or unreadable."""
    target = require(root, path)
    try:
        return json.loads(target.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc


def load_csv(root: Path, path: str) -> Any:
    """A required CSV artifact as a DataFrame."""
    import pandas as pd

    target = require(root, path)
    try:
        return pd.read_csv(target)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"{path}: unreadable CSV ({exc})") from exc
