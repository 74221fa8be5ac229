"""The ``evaluate`` command: the pipeline on every clip of a labels file, scored.

``python -m near_miss evaluate --labels FILE [run options]`` runs detection, tracking and
the near-miss engine (no annotated video) on each clip with the same settings, prints per
clip the incidents found or missed with their level and the events outside every window,
then the totals: incidents found K/N (High), collisions found High, false alarms per minute
of normal traffic; and writes ``<out>/incident_eval.csv``. Detections are cached per clip
and model (``detection.cache``), so re-runs with other strides, trackers or engine settings
skip the detector (``--no-cache`` detects again). ``--explain DIR`` also writes a contact
sheet per missed incident and per false alarm (``evaluation.explain``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from near_miss.evaluation.labels import read_labels
from near_miss.evaluation.scoring import ClipScore, score_clip, scores_table, totals
from tatweer_common.io import atomic_path
from tatweer_common.paths import display_path

RESULT_FILE = "incident_eval.csv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from near_miss.pipeline import add_run_options

    parser.add_argument("--labels", required=True,
                        help="labels CSV (file,kind,start_s,end_s,...; paths relative to it)")
    parser.add_argument("--out", default="outputs", help="folder for incident_eval.csv")
    parser.add_argument("--no-cache", action="store_true",
                        help="run the detector again instead of the cached detections")
    parser.add_argument("--explain", metavar="DIR",
                        help="write a contact sheet per missed incident and per false alarm")
    add_run_options(parser)


def main(args: argparse.Namespace) -> int:
    scores = evaluate(args.labels, args, cache=not args.no_cache,
                      explain=getattr(args, "explain", None))
    path = save_scores(scores, Path(args.out) / RESULT_FILE)
    print(f"wrote {display_path(path)}")
    return 0


def evaluate(labels: str | Path, args: argparse.Namespace | None = None, cache: bool = True,
             model=None, explain: str | Path | None = None, **settings) -> list[ClipScore]:
    """Score every clip of ``labels`` with the run options of ``args`` and ``settings``.

    ``model``: the detector to use (default: loaded once from the settings); with the cache,
    any detector of the same network, precision and input size gives the same tables.
    ``explain``: a folder for the contact sheets of every failure (``evaluation.explain``)."""
    from near_miss.detection import load_detector
    from near_miss.pipeline import analyse, config_from_args

    args = args or argparse.Namespace(config=None)
    scores = []
    for clip in read_labels(labels):
        config = config_from_args(args, video=str(clip.path), render_video=False,
                                  detection_cache=cache, out=None, **settings)
        if model is None:
            model = load_detector(config.detector, imgsz=config.imgsz, rect=config.rect,
                                  backend=config.backend)
        analysis = analyse(config, progress=False, model=model)
        duration = analysis.summary.end_frame / analysis.summary.video["fps"]
        score = score_clip(clip, analysis.events, duration)
        print(clip_line(score, analysis.events))
        if explain:
            from near_miss.evaluation.explain import explain_clip

            for path in explain_clip(score, analysis, config, Path(explain)):
                print(f"  sheet: {display_path(path)}")
        scores.append(score)
    print(totals_line(totals(scores)))
    return scores


def clip_line(score: ClipScore, events: pd.DataFrame) -> str:
    parts = []
    for w in score.windows:
        verdict = f"found {w.level} {w.kind}" if w.found else "MISSED"
        parts.append(f"{w.window.kind} {w.window.start_s:g}-{w.window.end_s:g} s: {verdict}")
    if score.clip.normal:
        parts.append("normal traffic")
    times = ", ".join(f"{t:.1f}" for t in events.get("timestamp_sec", []))
    return (f"{score.clip.name:<42} {'; '.join(parts)}; {score.events} events, "
            f"{score.false_alarms} false alarm(s)" + (f" [at {times} s]" if times else ""))


def totals_line(t: dict) -> str:
    return (f"TOTAL incidents found {t['found']}/{t['incidents']} (High {t['found_high']}); "
            f"collisions High {t['collisions_high']}/{t['collisions']}; false alarms "
            f"{t['normal_false_alarms']} in {t['normal_minutes']:.1f} min of normal traffic "
            f"= {t['false_alarms_per_min']:.2f}/min; outside windows on incident clips "
            f"{t['false_alarms_incident_clips']}; all video: {t['false_alarms']} in "
            f"{t['video_minutes']:.1f} min = {t['false_alarms_all_per_min']:.2f}/min "
            f"(High {t['high_false_alarms_all_per_min']:.2f}/min)")


def save_scores(scores: list[ClipScore], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        scores_table(scores).to_csv(tmp, index=False)
    return path
