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

from near_miss.config import BACKENDS, PRESETS, TRACKERS, PipelineConfig, describe, load_config
from near_miss.outputs.tables import TRACK_COLUMNS
from tatweer_common.errors import UserError
from tatweer_common.io import atomic_path
from tatweer_common.paths import display_path, stored_path

if TYPE_CHECKING:  # report imports cv2; the CLI parser must stay quick to build
    from near_miss.outputs.render import RenderResult
    from near_miss.outputs.report import RunSummary

SPEC_STRIDE = 2  # the spec's frame stride (Task 1.2), the unit of its frame counts
TABLES = {"tracks table": "tracks.csv", "events table": "events.csv", "run summary": "run.json"}
ARTIFACTS = {"annotated video": "annotated_video.mp4", **TABLES}


@dataclass
class Analysis:
    """What the detect-track-near-miss pass produces (saved as the tables)."""

    tracks: pd.DataFrame
    events: pd.DataFrame
    summary: RunSummary
    video: RenderResult | None = None  # the annotated video, when drawn during the pass


@dataclass
class RunResult:
    """What ``run_pipeline`` returns: the tables, the summary and every artifact's path."""

    tracks: pd.DataFrame
    events: pd.DataFrame
    summary: RunSummary
    paths: dict[str, Path] = field(default_factory=dict)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The settings shared by ``run`` and ``evaluate`` (detector, tracker, engine)."""
    parser.add_argument("--preset", choices=tuple(PRESETS), default="default",
                        help="default: the benchmark's recommended configuration; spec: the "
                        "spec's literal settings (PyTorch, 640x640, stride 2, sequential)")
    parser.add_argument("--config", help="TOML or YAML file of settings (see near_miss.config)")
    parser.add_argument("--tracker", choices=TRACKERS, help="tracker (default: centroid)")
    parser.add_argument("--stride", type=int,
                        help=f"detect every N-th frame (default: {PipelineConfig.stride}, the "
                        "benchmark's pick; the spec's: 2)")
    parser.add_argument("--detector", help="auto (default, = yolov8n), yolov8s (more accurate, "
                        "about 2x slower) or an ultralytics weights file")
    parser.add_argument("--imgsz", type=int, help="detector input size (default: 640)")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="detector backend: torch, onnx (onnxruntime) or openvino (bf16 "
                        "where the CPU has it)")
    parser.add_argument("--rect", action="store_const", const=True,
                        help="letterbox to the frame's aspect ratio, padded to a multiple of "
                        "32 (default; same image scale as the square, less padding)")
    parser.add_argument("--square", dest="rect", action="store_const", const=False,
                        help="letterbox to an imgsz x imgsz square (the spec's 640x640)")
    parser.add_argument("--conf", type=float, help="detection confidence threshold (default: 0.4)")
    parser.add_argument("--no-filters", dest="filters", action="store_const", const=False,
                        help="disable the false-positive filters of Task 1.6")
    parser.add_argument("--distance-mode", choices=("relative", "pixels"),
                        help="proximity relative to object size (default) or the spec's pixels")
    parser.add_argument("--ttc-method", choices=("box", "centres"),
                        help="TTC until the boxes touch (default) or the spec's centre formula")
    parser.add_argument("--pedestrian-pairs", action="store_const", const=True,
                        help="also assess pedestrian-pedestrian pairs (off by default)")
    parser.add_argument("--sequential", dest="pipelined", action="store_const", const=False,
                        help="decode, detect, track and render one after the other "
                        "(default: in overlapping threads)")


RUN_OPTION_KEYS = ("tracker", "stride", "detector", "imgsz", "backend", "rect", "conf",
                   "filters", "distance_mode", "ttc_method", "pedestrian_pairs", "pipelined")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--video", help="video path or URL (default: the spec's YouTube video, "
                        "else its offline copy)")
    parser.add_argument("--out", help="output folder (default: outputs)")
    parser.add_argument("--max-frames", type=int, help="analyse only the first N source frames")
    add_run_options(parser)
    parser.add_argument("--no-video", dest="render_video", action="store_const", const=False,
                        help="skip the annotated video")
    parser.add_argument("--from-tables", action="store_true",
                        help="re-render video, plots and report from the tables in --out "
                        "(tracks.csv, events.csv, run.json) without detecting again")


def config_from_args(args: argparse.Namespace, **extra) -> PipelineConfig:
    """Defaults < --config file < explicit flags (< ``extra``)."""
    keys = ("video", "out", "max_frames", "render_video", *RUN_OPTION_KEYS)
    values = {k: getattr(args, k, None) for k in keys}
    return load_config(args.config, getattr(args, "preset", "default"), **{**values, **extra})


def main(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.from_tables:
        result = rebuild_from_tables(config.out, render_video=config.render_video)
    else:
        result = run_pipeline(config)
    print("\nArtifacts:")
    for name, path in result.paths.items():
        print(f"  {name:<22} {display_path(path)}")
    return 0


def _track_rows(frame_index: int, tracked) -> list[tuple]:
    rows = []
    for oid, obj in tracked.items():
        x1, y1, x2, y2 = obj["bbox"]
        cx, cy = obj["center"]
        rows.append((frame_index, int(oid), obj["class"], obj.get("coco_class", obj["class"]),
                     obj.get("detected_class", obj["class"]), x1, y1, x2, y2, cx, cy,
                     float(obj["confidence"])))
    return rows


def lost_updates(config: PipelineConfig) -> int:
    """The tracker's ``max_disappeared`` in updates at ``config.stride``: the spec's 10 missed
    updates are read at its stride of 2, i.e. as 20 source frames, so a lost object is kept
    for the same time whatever the stride (10 updates at stride 2, 20 at 1, 7 at 3)."""
    return max(1, math.ceil(config.max_disappeared * SPEC_STRIDE / config.stride))


def _stages(config: PipelineConfig, fps: float, model=None):
    """The detector (``model`` when given), the tracker and the near-miss engine of
    ``config``."""
    from near_miss.detection import load_detector
    from near_miss.nearmiss import NearMissDetector
    from near_miss.tracking import make_tracker

    if model is None:
        model = load_detector(config.detector, imgsz=config.imgsz, rect=config.rect,
                              backend=config.backend)
    options = dict(config.tracker_options)
    if config.tracker == "centroid":
        options.setdefault("start_confidence", config.conf)  # only confident boxes start IDs
    tracker = make_tracker(config.tracker, max_disappeared=lost_updates(config), **options)
    try:
        engine = NearMissDetector(
            fps=fps, stride=config.stride, proximity_threshold=config.proximity_threshold,
            ttc_threshold=config.ttc_threshold, debounce_frames=config.debounce_frames,
            filters=config.filters, distance_mode=config.distance_mode,
            ttc_method=config.ttc_method, pedestrian_pairs=config.pedestrian_pairs,
            **config.nearmiss_options,
        )
    except (TypeError, ValueError) as exc:
        raise UserError(f"near-miss settings {config.nearmiss_options}: {exc}") from exc
    return model, tracker, engine


def _detections(config: PipelineConfig, video: Path, model, end: int, progress: bool,
                conf: float):
    """``(frame_index, detections)`` of every ``stride``-th frame below ``end`` with
    confidence >= ``conf``: read from the per-video detection cache when
    ``config.detection_cache``, else detected live, decoding and inference in their own
    threads when ``config.pipelined``."""
    from tqdm import tqdm

    from near_miss.detection import detect_objects
    from near_miss.detection.cache import detection_table, iter_cached, model_key
    from near_miss.ingest import iter_frames
    from near_miss.threads import ThreadedPipeline

    if config.detection_cache:
        key = model_key(model, config.imgsz, config.rect)
        table = detection_table(video, model, key, progress=progress)
        yield from iter_cached(table, end, config.stride, conf)
        return
    frames = iter_frames(video, stride=config.stride, max_frames=end)

    def detect(item):
        return detect_objects(item[1], model, conf_threshold=conf)

    stream = (ThreadedPipeline(frames, detect) if config.pipelined
              else ((item, detect(item)) for item in frames))
    for (index, _), detections in tqdm(stream, total=math.ceil(end / config.stride),
                                       desc="detect+track", unit="frame", disable=not progress):
        yield index, detections


def analyse(config: PipelineConfig, progress: bool = True, render_to: Path | None = None,
            model=None) -> Analysis:
    """Ingest, detect, track and find near misses; returns the tables and the summary.

    With ``render_to``, the annotated video is drawn and encoded there while the analysis
    runs (``outputs.live``); ``Analysis.video`` then says what was written. ``model``: an
    already loaded detector (the benchmark times the analysis, not the loading).
    """
    from near_miss.ingest import resolve_video, video_metadata
    from near_miss.outputs.live import LiveRenderer

    source = resolve_video(config.video, data_dir=config.data_dir)
    meta = video_metadata(source.path)
    print(f"video: {meta.summary()}")
    print(f"configuration: {describe(config)}")
    model, tracker, engine = _stages(config, meta.fps, model)
    end = meta.frames if config.max_frames is None else min(meta.frames, config.max_frames)
    renderer = None if render_to is None else LiveRenderer(
        source.path, render_to, fps=meta.fps, stride=config.stride, end=end,
        event_active_s=config.event_active_s)
    rows: list[tuple] = []
    per_class: Counter = Counter()
    per_coco: Counter = Counter()
    # a tracker that uses low-confidence boxes (ByteTrack) gets them; the others get the spec's
    conf = min(config.conf, tracker.min_detection_confidence or config.conf)
    try:
        for index, detections in _detections(config, source.path, model, end, progress, conf):
            # the run's detections, not the low-confidence boxes a tracker also gets
            counted = [d for d in detections if d["confidence"] >= config.conf]
            per_class.update(d["class"] for d in counted)
            per_coco.update(d.get("coco_class", d["class"]) for d in counted)
            tracked = tracker.update(detections, frame_index=index)
            engine.process_frame(index, tracked)
            frame_rows = _track_rows(index, tracked)
            rows.extend(frame_rows)
            if renderer is not None:
                renderer.publish(index, frame_rows, engine.events,
                                 engine.final_before(index + config.stride))
        engine.finish()
        video = None if renderer is None else renderer.finish(engine.events)
    except BaseException:
        if renderer is not None:
            renderer.cancel()
        raise
    summary = _summary(config, source, meta, end)
    stats = _record_stages(summary, config, model, tracker, len(rows), per_class, per_coco)
    if progress:
        print_summaries(summary, stats)
    tracks = pd.DataFrame(rows, columns=TRACK_COLUMNS)
    return Analysis(tracks, engine.events_dataframe(), summary, video)


def _record_stages(summary: RunSummary, config: PipelineConfig, model, tracker,
                   observations: int, per_class: Counter, per_coco: Counter):
    """Fill the summary's detection and tracking sections; return the tracking statistics."""
    from near_miss.tracking import tracking_stats

    stats = tracking_stats(tracker)
    summary.detection = {
        "model": f"{model.name} ({model.licence})", "weights": getattr(model, "origin", None),
        "processed_frames": model.stats.frames,
        "avg_ms_per_frame": model.stats.mean_ms, "per_class": dict(per_class),
        "per_coco_class": dict(per_coco)}
    summary.tracking = {
        "tracker": config.tracker, "observations": observations, "unique_ids": stats.unique_ids,
        "avg_track_length": stats.avg_track_length, "avg_track_span": stats.avg_track_span,
        "peak_active": stats.peak_active, "peak_frame": stats.peak_frame}
    return stats


def _summary(config: PipelineConfig, source, meta, end: int) -> RunSummary:
    """A RunSummary of the video and the configuration (detection/tracking filled later)."""
    from near_miss.outputs.report import RunSummary

    return RunSummary(
        video={"path": display_path(source.path), "origin": source.origin, "note": source.note,
               "detail": source.detail,
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
    from near_miss.outputs.render import event_thumbnail, label_classes, label_window
    from near_miss.outputs.report import jpeg_uri, top_events

    s = analysis.summary
    stride = s.config["stride"]
    tracks = analysis.tracks.assign(label=label_classes(
        analysis.tracks, stride, label_window(s.video["fps"], stride)))  # as the video draws
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
    video, cfg, times = stored_path(s.video["path"]), s.config, s.stage_times
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
    """The whole ``run`` command as a function (used by the notebook and the tests).

    ``config.pipelined``: the annotated video is drawn and encoded while the video is
    analysed (``outputs.live``); otherwise after it, as a second pass."""
    started = time.perf_counter()
    out = Path(config.out)
    video_path = out / ARTIFACTS["annotated video"]
    live = config.render_video and config.pipelined
    analysis = analyse(config, progress=progress, render_to=video_path if live else None)
    analysis.summary.stage_times["detect+track" + ("+render" if live else "")] = (
        time.perf_counter() - started)
    _print_events(analysis.events)
    paths = save_tables(analysis, out)
    if analysis.video is not None:
        paths["annotated video"] = analysis.video.path
    paths.update(build_artifacts(analysis, out, config.render_video and not live, progress,
                                 started))
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
