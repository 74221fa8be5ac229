"""The saved results of both challenges, read once for the README and the demo video.

Nothing here computes a result: every number is read from an artifact the packages wrote
(``outputs/run.json``, ``events.csv``, ``benchmark.csv``, ``incident_eval.csv``,
``train_summary.json``, ``evaluation_summary.json``) or counted from the committed data splits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from submission.artifacts import load_csv, load_json

LEVELS = ("High", "Medium", "Low")
INCIDENTS = "outputs/incident_eval.csv"


@dataclass(frozen=True)
class BenchFacts:
    """The recommended CPU configuration and the spec's default, from benchmark.csv."""

    recommended: str
    why: str
    fps: float
    missed_pct: float
    recall_pct: float
    default_fps: float | None


@dataclass(frozen=True)
class NearMissFacts:
    run: dict[str, Any]
    events: Any  # DataFrame of outputs/events.csv
    bench: BenchFacts | None
    incidents: dict[str, Any] | None = None  # totals of outputs/incident_eval.csv
    table: Any = None  # outputs/incident_eval.csv itself (per clip and window), when saved

    @property
    def video(self) -> dict[str, Any]:
        return self.run["video"]

    @property
    def offline_video(self) -> bool:
        return self.video.get("origin") == "offline"

    @property
    def offline_is_spec_video(self) -> bool:
        """The offline input is the spec's own video (its copy, named by its YouTube id)."""
        from near_miss.ingest import YOUTUBE_URL

        return self.offline_video and YOUTUBE_URL.rsplit("=", 1)[1] in self.video["path"]

    @property
    def detector(self) -> str:
        return self.run["detection"]["model"]

    @property
    def level_counts(self) -> dict[str, int]:
        counts = self.events["risk_level"].value_counts() if len(self.events) else {}
        return {level: int(counts.get(level, 0)) for level in LEVELS}

    @property
    def pair_counts(self) -> dict[str, int]:
        """Events per class pair, e.g. ``{"pedestrian-vehicle": 3}``, most frequent first."""
        if not len(self.events):
            return {}
        pairs = self.events.apply(lambda r: "-".join(sorted((r.class_1, r.class_2))), axis=1)
        return {k: int(v) for k, v in pairs.value_counts().items()}

    def labelled_windows(self) -> list[dict[str, Any]]:
        """The analysed video's labelled incident windows, as scored by ``evaluate``."""
        if self.table is None:
            return []
        rows = self.table[(self.table["clip"] == Path(self.video["path"]).name)
                          & self.table["label"].isin(["collision", "near_miss"])]
        return rows.to_dict("records")

    def top_event(self) -> dict[str, Any] | None:
        """The highest-risk event (first one on ties)."""
        if not len(self.events):
            return None
        return self.events.loc[self.events["risk_score"].idxmax()].to_dict()


@dataclass(frozen=True)
class FineTuneFacts:
    train: dict[str, Any]
    evaluation: dict[str, Any]
    split_sizes: dict[str, int]

    @property
    def offline_model(self) -> bool:
        return self.train.get("model_source_kind") == "gguf"

    def row(self, metric: str) -> dict[str, Any] | None:
        """The evaluation table's row whose label starts with ``metric``."""
        return next((r for r in self.evaluation["table"] if r["metric"].startswith(metric)), None)


def gap_text(event: dict[str, Any], pixels: str = "px") -> str:
    """How far apart an event's boxes were: relative to their size when the run measured so,
    else centre distance in ``pixels`` (the unit's word: "px" in text, "pixels" spoken)."""
    if event.get("units") == "size":
        return f"boxes {event['distance']:.2f} of their size apart"
    return f"{event['distance_px']:.0f} {pixels} apart"


def _bench(root: Path) -> BenchFacts | None:
    if not (root / "outputs/benchmark.csv").is_file():
        return None
    from near_miss.bench.benchmark import SPEC_DEFAULT, recommend

    table = load_csv(root, "outputs/benchmark.csv")
    rec = recommend(table)
    pooled = rec["pooled"]  # worst fps and recall over videos, pooled misses
    default = table[table["optimization"] == SPEC_DEFAULT.label]["fps"]
    return BenchFacts(
        recommended=rec["optimization"],
        why=rec["why"],
        fps=pooled["fps"],
        missed_pct=_num(pooled["missed_events"]),
        recall_pct=_num(pooled["recall"]),
        default_fps=float(default.min()) if len(default) else None,
    )


def _num(value: Any) -> float:
    value = float(value)
    return 0.0 if math.isnan(value) else value


def near_miss_facts(root: Path) -> NearMissFacts:
    from near_miss.evaluation.scoring import table_totals

    table = load_csv(root, INCIDENTS) if (root / INCIDENTS).is_file() else None
    return NearMissFacts(
        run=load_json(root, "outputs/run.json"),
        events=load_csv(root, "outputs/events.csv"),
        bench=_bench(root),
        incidents=None if table is None else table_totals(table),
        table=table,
    )


def count_lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with open(path, encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def finetune_facts(root: Path) -> FineTuneFacts:
    return FineTuneFacts(
        train=load_json(root, "outputs/train_summary.json"),
        evaluation=load_json(root, "outputs/evaluation_summary.json"),
        split_sizes={s: count_lines(root / f"data/{s}.jsonl") for s in ("train", "val", "test")},
    )
