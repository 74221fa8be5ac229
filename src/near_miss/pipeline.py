"""The ``run`` command: video -> detections -> tracks -> near misses -> every Task 1.5 artifact.

Stages: ingest (``resolve_video``) -> detect (``detect_objects``) -> track (``make_tracker``)
-> near-miss (``NearMissDetector``) -> ``tracks.csv`` + ``events.csv`` + ``run.json`` ->
annotated video -> four dashboard PNGs -> ``report.html``. ``--from-tables`` re-does the last
three stages from the saved tables without running the detector again.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from near_miss.config import BACKENDS, TRACKERS, PipelineConfig, load_config
from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path

if TYPE_CHECKING:  # report imports cv2; the CLI parser must stay quick to build
    from near_miss.outputs.report import RunSummary

TRACK_COLUMNS = [
    "frame_index", "object_id", "class", "coco_class",
    "x1", "y1", "x2", "y2", "cx", "cy", "confidence",
]
TABLES = {"tracks table": "tracks.csv", "events table": "events.csv", "run summary": "run.json"}
ARTIFACTS = {"annotated video": "annotated_video.mp4", **TABLES}


@dataclass
class Analysis:
    """What the detect-track-near-miss pass produces (saved as the tables)."""

    tracks: pd.DataFrame
    events: pd.DataFrame
    summary: RunSummary


@dataclass
class RunResult:
    """What ``run_pipeline`` returns: the tables, the summary and every artifact's path."""

    tracks: pd.DataFrame
    events: pd.DataFrame
    summary: RunSummary
    paths: dict[str, Path] = field(default_factory=dict)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--video", help="video path or URL (default: the spec's YouTube video, "
                        "else the offline sample)")
    parser.add_argument("--out", help="output folder (default: outputs)")
    parser.add_argument("--config", help="TOML or YAML file of settings (see near_miss.config)")
    parser.add_argument("--tracker", choices=TRACKERS, help="tracker (default: centroid)")
    parser.add_argument("--stride", type=int, help="detect every N-th frame (default: 2)")
    parser.add_argument("--max-frames", type=int, help="analyse only the first N source frames")
    parser.add_argument("--detector", help="auto (default), yolov8n, yolov5n or a weights file")
    parser.add_argument("--imgsz", type=int, help="detector input size (default: 640)")
    parser.add_argument("--backend", choices=BACKENDS, help="torch (default) or onnx (onnxruntime)")
    parser.add_argument("--rect", action="store_const", const=True,
                        help="letterbox to the frame's aspect ratio, not a square (faster)")
    parser.add_argument("--conf", type=float, help="detection confidence threshold (default: 0.4)")
    parser.add_argument("--no-filters", dest="filters", action="store_const", const=False,
                        help="disable the false-positive filters of Task 1.6")
    parser.add_argument("--no-video", dest="render_video", action="store_const", const=False,
                        help="skip the annotated video")
    parser.add_argument("--from-tables", action="store_true",
                        help="re-render video, plots and report from the tables in --out "
                        "(tracks.csv, events.csv, run.json) without detecting again")


def config_from_args(args: argparse.Namespace) -> PipelineConfig:
    """Defaults < --config file < explicit flags."""
    keys = ("video", "out", "tracker", "stride", "max_frames", "detector", "imgsz", "backend",
            "rect", "conf", "filters", "render_video")
    return load_config(args.config, **{k: getattr(args, k, None) for k in keys})


def main(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.from_tables:
        result = rebuild_from_tables(config.out, render_video=config.render_video)
    else:
        result = run_pipeline(config)
    print("\nArtifacts:")
    for name, path in result.paths.items():
        print(f"  {name:<22} {path}")
    return 0


def _track_rows(frame_index: int, tracked) -> list[tuple]:
    rows = []
    for oid, obj in tracked.items():
        x1, y1, x2, y2 = obj["bbox"]
        cx, cy = obj["center"]
        rows.append((frame_index, int(oid), obj["class"], obj.get("coco_class", obj["class"]),
                     x1, y1, x2, y2, cx, cy, float(obj["confidence"])))
    return rows


def _stages(config: PipelineConfig, fps: float, model=None):
    """The detector (``model`` when given), the tracker and the near-miss engine of ``config``."""
    from near_miss.detection import load_detector
    from near_miss.nearmiss import NearMissDetector
    from near_miss.tracking import make_tracker

    if model is None:
        model = load_detector(config.detector, imgsz=config.imgsz, rect=config.rect,
                              backend=config.backend)
    tracker = make_tracker(config.tracker, max_disappeared=config.max_disappeared,
                           **config.tracker_options)
    try:
        engine = NearMissDetector(
            fps=fps, stride=config.stride, proximity_threshold=config.proximity_threshold,
            ttc_threshold=config.ttc_threshold, debounce_frames=config.debounce_frames,
            filters=config.filters, **config.nearmiss_options,
        )
    except (TypeError, ValueError) as exc:
        raise UserError(f"near-miss settings {config.nearmiss_options}: {exc}") from exc
    return model, tracker, engine


def analyse(config: PipelineConfig, progress: bool = True) -> Analysis:
    """Ingest, detect, track and find near misses; returns the tables and the summary."""
    from tqdm import tqdm

    from near_miss.detection import detect_objects
    from near_miss.ingest import iter_frames, resolve_video, video_metadata
    from near_miss.tracking import tracking_stats

    source = resolve_video(config.video, data_dir=config.data_dir)
    meta = video_metadata(source.path)
    print(f"video: {meta.summary()}")
    model, tracker, engine = _stages(config, meta.fps)
    end = meta.frames if config.max_frames is None else min(meta.frames, config.max_frames)
    rows: list[tuple] = []
    per_class: Counter = Counter()
    per_coco: Counter = Counter()
    frames = iter_frames(source.path, stride=config.stride, max_frames=end)
    for index, frame in tqdm(frames, total=math.ceil(end / config.stride), desc="detect+track",
                             unit="frame", disable=not progress):
        detections = detect_objects(frame, model, conf_threshold=config.conf)
        per_class.update(d["class"] for d in detections)
        per_coco.update(d.get("coco_class", d["class"]) for d in detections)
        tracked = tracker.update(detections, frame_index=index)
        engine.process_frame(index, tracked)
        rows.extend(_track_rows(index, tracked))
    stats = tracking_stats(tracker)
    summary = _summary(config, source, meta, end)
    summary.detection = {
        "model": f"{model.name} ({model.licence})", "processed_frames": model.stats.frames,
        "avg_ms_per_frame": model.stats.mean_ms, "per_class": dict(per_class),
        "per_coco_class": dict(per_coco)}
    summary.tracking = {
        "tracker": config.tracker, "observations": len(rows), "unique_ids": stats.unique_ids,
        "avg_track_length": stats.avg_track_length, "avg_track_span": stats.avg_track_span,
        "peak_active": stats.peak_active, "peak_frame": stats.peak_frame}
    print_summaries(summary, stats)
    return Analysis(pd.DataFrame(rows, columns=TRACK_COLUMNS), engine.events_dataframe(), summary)


def _summary(config: PipelineConfig, source, meta, end: int) -> RunSummary:
    """A RunSummary of the video and the configuration (detection/tracking filled later)."""
    from near_miss.outputs.report import RunSummary

    return RunSummary(
        video={"path": str(source.path), "origin": source.origin, "note": source.note,
               "frames": meta.frames, "fps": meta.fps, "width": meta.width,
               "height": meta.height, "duration_s": meta.duration_s},
        detection={}, tracking={}, config=config.as_dict(), end_frame=end, run_time_s=0.0,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def print_summaries(summary, stats) -> None:
    det = summary.detection
    classes = ", ".join(f"{k} {v}" for k, v in sorted(det["per_coco_class"].items())) or "none"
    print(f"detection: {det['model']}, {det['processed_frames']} frames, "
          f"{det['avg_ms_per_frame']:.1f} ms/frame; detections: {classes}")
    print(f"tracking ({summary.tracking['tracker']}):\n{stats}")


def save_tables(analysis: Analysis, out: Path) -> dict[str, Path]:
    paths = {}
    for name, df in (("tracks table", analysis.tracks), ("events table", analysis.events)):
        paths[name] = out / TABLES[name]
        with atomic_path(paths[name]) as tmp:
            df.to_csv(tmp, index=False)
    paths["run summary"] = analysis.summary.save(out / TABLES["run summary"])
    return paths


def load_tables(out: str | Path) -> Analysis:
    """The tables saved by a previous run in ``out``; UserError naming what is missing."""
    from near_miss.outputs.report import RunSummary

    out = Path(out)
    missing = [name for name in TABLES.values() if not (out / name).is_file()]
    if missing:
        raise UserError(f"{out}: no saved run to rebuild from (missing {', '.join(missing)}); "
                        "run without --from-tables first")
    try:
        tracks = pd.read_csv(out / TABLES["tracks table"])
        events = pd.read_csv(out / TABLES["events table"])
        summary = RunSummary.load(out / TABLES["run summary"])
    except (ValueError, TypeError, KeyError) as exc:
        raise UserError(f"{out}: saved tables cannot be read ({exc})") from exc
    absent = [c for c in TRACK_COLUMNS if c not in tracks.columns]
    if absent:
        raise UserError(f"{out / TABLES['tracks table']}: missing column(s) {', '.join(absent)}")
    return Analysis(tracks, events, summary)


def _thumbnails(video: Path, analysis: Analysis) -> dict[int, str]:
    from near_miss.ingest import read_frame
    from near_miss.outputs.render import event_thumbnail
    from near_miss.outputs.report import jpeg_uri, top_events

    tracks = analysis.tracks
    thumbs = {}
    for idx, ev in top_events(analysis.events).iterrows():
        frame = read_frame(video, int(ev["frame_index"]))
        at_frame = tracks[tracks["frame_index"] == int(ev["frame_index"])]
        thumbs[idx] = jpeg_uri(event_thumbnail(frame, at_frame, ev))
    return thumbs


def build_artifacts(analysis: Analysis, out: str | Path, render_video: bool = True,
                    progress: bool = True, started: float | None = None) -> dict[str, Path]:
    """Annotated video, dashboard PNGs and report.html from the tables; returns their paths."""
    from near_miss.ingest import read_frame
    from near_miss.outputs.plots import save_dashboard
    from near_miss.outputs.render import render_video as render
    from near_miss.outputs.report import write_report

    out, s = Path(out), analysis.summary
    video, cfg, times = Path(s.video["path"]), s.config, s.stage_times
    paths: dict[str, Path] = {}
    t0 = time.perf_counter()
    if render_video:
        paths["annotated video"] = render(
            video, analysis.tracks, analysis.events, out / ARTIFACTS["annotated video"],
            fps=s.video["fps"], stride=cfg["stride"], end_frame=s.end_frame,
            event_active_s=cfg["event_active_s"], progress=progress).path
        times["render"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = read_frame(video, 0)
    duration = s.end_frame / s.video["fps"]
    images = save_dashboard(analysis.events, analysis.tracks, first, duration, out)
    paths.update({f"{name} plot": p for name, p in images.items()})
    times["plots"] = time.perf_counter() - t0
    if started is not None:
        s.run_time_s = time.perf_counter() - started
    links = {k: v for k, v in ARTIFACTS.items() if (out / v).is_file() or k in paths}
    paths["report"] = write_report(out / "report.html", s, analysis.events, images,
                                   _thumbnails(video, analysis), links)
    s.save(out / TABLES["run summary"])
    return paths


def run_pipeline(config: PipelineConfig, progress: bool = True) -> RunResult:
    """The whole ``run`` command as a function (used by the notebook and the tests)."""
    started = time.perf_counter()
    out = Path(config.out)
    analysis = analyse(config, progress=progress)
    analysis.summary.stage_times["detect+track"] = time.perf_counter() - started
    _print_events(analysis.events)
    paths = save_tables(analysis, out)
    paths.update(build_artifacts(analysis, out, config.render_video, progress, started))
    print(f"run time: {analysis.summary.run_time_s:.1f} s")
    return RunResult(analysis.tracks, analysis.events, analysis.summary, paths)


def rebuild_from_tables(out: str | Path, render_video: bool = True,
                        progress: bool = True) -> RunResult:
    """Re-render video, plots and report from the tables of an earlier run in ``out``."""
    analysis = load_tables(out)
    print(f"rebuilding from the tables in {out} (video {analysis.summary.video['path']})")
    _print_events(analysis.events)
    paths = build_artifacts(analysis, out, render_video, progress)
    return RunResult(analysis.tracks, analysis.events, analysis.summary, paths)


def _print_events(events: pd.DataFrame) -> None:
    from near_miss.nearmiss.events import print_summary

    print_summary(events)
