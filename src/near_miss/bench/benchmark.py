"""The ``bench`` command (spec Task 1.7): speed and quality of each CPU configuration.

A configuration is a detector (YOLOv8n, or YOLOv8s), a backend (PyTorch, ONNX Runtime,
OpenVINO at the CPU's native precision), an input size and letterbox (square or the frame's
aspect, "rect"), a stride, sequential or pipelined, and a tracker. For each one:

* **speed**, on the benchmark video (the spec's by default): source frames per second end to
  end without the annotated video (decode to events) and with it (decode to events plus the
  drawn H.264 video), each the real ``run`` code (``pipeline.analyse``) with the model loaded
  and warmed up beforehand; ms per detected frame;
* **detection agreement** with PyTorch 640x640 on the same video: the share of its boxes
  (confidence >= 0.4) that the configuration also finds (same class, IoU >= 0.5);
* **quality on labelled clips** (``--labels``): labelled incidents found and false alarms per
  minute, through the evaluate command on cached detections (``detection.cache``: one
  stride-1 table per clip, network, precision and input size serves every stride, tracker and
  runtime of that precision; the OpenVINO detector of the same precision fills it, the fastest
  runtime); the spec's ``missed_events_%`` column is the share of labelled incidents missed.

``recommend`` picks the default of ``run``: the fastest configuration (with the video) that
finds every labelled incident the spec's configuration finds, with no more false alarms.
Results: ``<out>/benchmark.csv``, ``benchmark.png`` and ``benchmark.json`` (the time the
benchmark took and the recommendation).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from near_miss.config import BACKEND_TITLES
from near_miss.detection.loader import CHECKPOINTS
from tatweer_common.io import atomic_path, write_text_atomic
from tatweer_common.paths import display_path

LABELS = "video/incidents/labels.csv"  # under the offline assets, when present
AGREEMENT_CONF = 0.4  # the spec's detection threshold


@dataclass(frozen=True)
class BenchConfig:
    backend: str  # "torch" | "onnx" | "openvino"
    imgsz: int
    rect: bool  # letterbox to the frame's aspect ratio instead of a square
    stride: int
    pipelined: bool
    tracker: str = "centroid"
    detector: str = "yolov8n"

    @property
    def label(self) -> str:
        size = f"{self.imgsz} rect" if self.rect else f"{self.imgsz}x{self.imgsz}"
        mode = "pipelined" if self.pipelined else "sequential"
        model = "" if self.detector == "yolov8n" else f"{CHECKPOINTS[self.detector].title} "
        tracker = "" if self.tracker == "centroid" else f", {self.tracker}"
        backend = BACKEND_TITLES[self.backend]
        return f"{model}{backend} {size}, stride {self.stride}, {mode}{tracker}"

    def overrides(self) -> dict:
        return {"backend": self.backend, "imgsz": self.imgsz, "rect": self.rect,
                "stride": self.stride, "pipelined": self.pipelined, "tracker": self.tracker,
                "detector": self.detector}


SPEC_DEFAULT = BenchConfig("torch", 640, False, 2, False)  # the spec's literal settings
REFERENCE_MODEL = ("yolov8n", "torch", 640, False)  # detection agreement is measured against it


def _grid() -> list[BenchConfig]:
    """The spec's settings; every backend at 640 square and rect, strides 1-3 (pipelined);
    then one factor at a time around OpenVINO 640 rect, stride 2: sequential, the other
    trackers, YOLOv8s (at rect only: its labelled-clip pass costs ~3x YOLOv8n's)."""
    out = [SPEC_DEFAULT]
    out += [BenchConfig(backend, 640, rect, stride, True)
            for backend in ("torch", "onnx", "openvino") for rect in (False, True)
            for stride in (1, 2, 3)]
    base = BenchConfig("openvino", 640, True, 2, True)
    out += [replace(base, pipelined=False)]
    out += [replace(base, tracker=t) for t in ("sort", "bytetrack")]
    out += [replace(base, detector="yolov8s")]
    return out


@dataclass(frozen=True)
class BenchSettings:
    configs: tuple[BenchConfig, ...]
    max_frames: int | None = None  # speed runs on the first N frames only

    @classmethod
    def full(cls) -> BenchSettings:
        return cls(tuple(_grid()))

    @classmethod
    def quick(cls) -> BenchSettings:
        base = BenchConfig("openvino", 640, True, 2, True)
        return cls((SPEC_DEFAULT, replace(base, rect=False), base,
                    replace(base, backend="onnx")), max_frames=150)

    @classmethod
    def smoke(cls) -> BenchSettings:
        base = BenchConfig("openvino", 320, True, 2, True)
        return cls((replace(SPEC_DEFAULT, imgsz=320), base), max_frames=12)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--video", help="speed video, path or URL (default: the spec's "
                        "YouTube video, else its offline copy)")
    parser.add_argument("--labels", help=f"labelled clips for the quality columns (default: "
                        f"<assets>/{LABELS} when present; 'none' to skip)")
    parser.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    parser.add_argument("--quick", action="store_true",
                        help="4 configurations, speed on the first 150 frames")


def main(args: argparse.Namespace) -> int:
    from near_miss.ingest import resolve_video
    from tatweer_common.paths import is_smoke

    settings = (BenchSettings.smoke() if is_smoke() else
                BenchSettings.quick() if args.quick else BenchSettings.full())
    video = resolve_video(args.video).path
    result = run_benchmark(video, settings, args.out, labels_path(args.labels))
    print_results(result)
    return 0


def labels_path(given: str | None) -> Path | None:
    """The labels file to evaluate with: ``given``, else the offline set when present."""
    from tatweer_common.errors import UserError
    from tatweer_common.paths import assets_dir

    if given == "none":
        return None
    if given:
        if not Path(given).is_file():
            raise UserError(f"{given}: labels file not found")
        return Path(given)
    default = assets_dir() / LABELS
    if default.is_file():
        return default
    print(f"labelled clips not found ({default}): quality columns left empty")
    return None


@dataclass
class BenchResult:
    table: pd.DataFrame
    recommendation: dict
    csv: Path
    png: Path
    seconds: float


def run_benchmark(video: str | Path, settings: BenchSettings, out: str | Path = "outputs",
                  labels: Path | None = None, progress: bool = True) -> BenchResult:
    """Measure every configuration; write benchmark.csv and benchmark.png."""
    from tqdm import tqdm

    from near_miss.bench.plot import save_benchmark_figure

    started, out = time.perf_counter(), Path(out)
    bench = VideoBench(Path(video), settings.max_frames, labels)
    rows = [bench.row(cfg) for cfg in tqdm(settings.configs, desc="bench", unit="config",
                                           disable=not progress)]
    table = pd.DataFrame(rows)
    csv = out / "benchmark.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.3f")
    png = save_benchmark_figure(table, out / "benchmark.png", bench.meta.fps)
    result = BenchResult(table, recommend(table), csv, png, time.perf_counter() - started)
    summary = {"seconds": result.seconds, "configurations": len(table),
               "video": bench.video.name, "labels": None if labels is None else labels.name,
               "recommendation": result.recommendation}
    write_text_atomic(out / "benchmark.json", json.dumps(summary, indent=2, default=str))
    return result


class VideoBench:
    """Speed on one video, agreement with the reference model, quality on the labels."""

    def __init__(self, video: Path, max_frames: int | None, labels: Path | None) -> None:
        from near_miss.ingest import video_metadata

        self.video, self.labels = video, labels
        self.meta = video_metadata(video)
        self.frames = min(self.meta.frames, max_frames or self.meta.frames)
        self._models: dict[tuple, object] = {}
        self._quality: dict[tuple, dict] = {}
        self._tables: dict[str, pd.DataFrame] = {}  # model key -> detections >= 0.4

    def model(self, detector: str, backend: str, imgsz: int, rect: bool):
        key = (detector, backend, imgsz, rect)
        if key not in self._models:
            from near_miss.detection import detect_objects, load_detector
            from near_miss.ingest import read_frame

            with contextlib.redirect_stdout(io.StringIO()):
                model = load_detector(detector, imgsz=imgsz, rect=rect, backend=backend)
                detect_objects(read_frame(self.video, 0), model)  # export, session, warm-up
            self._models[key] = model
        return self._models[key]

    def row(self, cfg: BenchConfig) -> dict:
        model = self.model(cfg.detector, cfg.backend, cfg.imgsz, cfg.rect)
        plain_s, detect_ms = self.time_run(cfg, model, video=False)
        video_s, _ = self.time_run(cfg, model, video=True)
        quality = self.quality(cfg)
        return {
            "optimization": cfg.label, **cfg.overrides(), "model": model.name,
            "precision": model.precision,
            "video": self.video.name, "frames": self.frames,
            "fps": self.frames / video_s, "fps_no_video": self.frames / plain_s,
            "wall_s": video_s, "wall_no_video_s": plain_s, "detect_ms": detect_ms,
            "ms_per_source_frame": 1000 * video_s / self.frames,
            "detection_agreement_%": self.agreement(cfg, model),
            **quality,
        }

    def time_run(self, cfg: BenchConfig, model, video: bool) -> tuple[float, float]:
        """Seconds of one run (decode to events, plus the annotated video when ``video``)
        and the mean detector ms per processed frame."""
        from near_miss.config import PipelineConfig
        from near_miss.outputs.render import render_video
        from near_miss.pipeline import analyse

        config = PipelineConfig(video=str(self.video), max_frames=self.frames,
                                render_video=video, **cfg.overrides())
        model.stats.frame_ms.clear()
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
            target = Path(tmp) / "annotated.mp4"
            start = time.perf_counter()
            live = video and cfg.pipelined
            result = analyse(config, progress=False, render_to=target if live else None,
                             model=model)
            if video and not live:
                render_video(self.video, result.tracks, result.events, target,
                             fps=self.meta.fps, stride=cfg.stride, end_frame=self.frames,
                             event_active_s=config.event_active_s, progress=False)
            seconds = time.perf_counter() - start
        return seconds, model.stats.mean_ms

    def agreement(self, cfg: BenchConfig, model) -> float:
        """Detection recall (%) of the reference model's boxes on this config's frames."""
        from near_miss.bench.metrics import detection_recall
        from near_miss.detection.cache import detection_table, model_key

        tables = []
        for m, imgsz, rect in ((self.model(*REFERENCE_MODEL), 640, False),
                               (model, cfg.imgsz, cfg.rect)):
            key = model_key(m, imgsz, rect)
            if key not in self._tables:  # configurations share models: detect once each
                partial = self.frames if self.frames < self.meta.frames else None
                with contextlib.redirect_stdout(io.StringIO()):
                    table = detection_table(self.video, m, key, False, partial)
                self._tables[key] = table[table["confidence"] >= AGREEMENT_CONF]
            tables.append(self._tables[key])
        return detection_recall(*tables, range(0, self.frames, cfg.stride))

    def quality_model(self, cfg: BenchConfig):
        """The detector that fills (or reads) the labelled clips' tables for ``cfg``: OpenVINO
        at ``cfg``'s precision (fp32 for PyTorch and ONNX Runtime, which give its boxes) on
        every core (this pass is not timed)."""
        import os

        from near_miss.detection.openvino_backend import OpenVinoDetector

        key = ("quality", cfg.detector, cfg.backend, cfg.imgsz, cfg.rect)
        if key not in self._models:
            precision = self.model(cfg.detector, cfg.backend, cfg.imgsz, cfg.rect).precision
            torch_model = self.model(cfg.detector, "torch", cfg.imgsz, cfg.rect)
            self._models[key] = OpenVinoDetector.from_torch(
                torch_model, threads=os.cpu_count(), precision=precision)
        return self._models[key]

    def quality(self, cfg: BenchConfig) -> dict:
        """Incidents found and false alarms on the labelled clips (memoised per setting)."""
        if self.labels is None:
            return {}
        from near_miss.detection.cache import model_key
        from near_miss.evaluation.evaluate import evaluate
        from near_miss.evaluation.scoring import totals

        model = self.quality_model(cfg)
        key = (model_key(model, cfg.imgsz, cfg.rect), cfg.stride, cfg.tracker)
        if key not in self._quality:
            settings = {k: v for k, v in cfg.overrides().items() if k != "pipelined"}
            with contextlib.redirect_stdout(io.StringIO()):
                scores = evaluate(self.labels, model=model, **settings)
            t = totals(scores)
            found = sorted(f"{s.clip.name}@{w.window.start_s:g}" for s in scores
                           for w in s.windows if w.found)
            self._quality[key] = {
                "incidents": t["incidents"], "incidents_found": t["found"],
                "incidents_high": t["found_high"],
                "missed_events_%": 100.0 * (t["incidents"] - t["found"]) / t["incidents"]
                if t["incidents"] else math.nan,
                "false_alarms_per_min": t["false_alarms_per_min"],
                "found": ";".join(found)}
        return self._quality[key]


def recommend(table: pd.DataFrame) -> dict:
    """The default of ``run``: the fastest configuration, with the annotated video, among
    those that find every labelled incident the spec's configuration finds with no more
    false alarms per minute (without labels: the fastest that keeps >= 95% of the reference
    detections)."""
    spec = table[table["optimization"] == SPEC_DEFAULT.label]
    if "found" in table.columns and len(spec):
        needed = set(str(spec["found"].iloc[0]).split(";")) - {"", "nan"}
        limit = float(spec["false_alarms_per_min"].iloc[0])
        ok = table[table["found"].fillna("").astype(str).map(
            lambda f: needed <= set(f.split(";"))) & (table["false_alarms_per_min"] <= limit)]
        why = ("the fastest configuration (with the annotated video) that finds every "
               "labelled incident the spec's configuration finds, with no more false alarms "
               "per minute of normal traffic")
    else:
        ok = table[table["detection_agreement_%"] >= 95.0]
        why = "the fastest configuration that keeps >= 95% of PyTorch 640's detections"
    pick = (ok if len(ok) else table).sort_values("fps", ascending=False).iloc[0]
    return {"optimization": pick["optimization"], "why": why,
            "settings": {k: pick[k] for k in ("backend", "imgsz", "rect", "stride",
                                              "pipelined", "tracker", "detector") if k in pick},
            "pooled": {"fps": float(pick["fps"]),
                       "recall": float(pick["detection_agreement_%"]),
                       "missed_events": float(pick.get("missed_events_%", math.nan))}}


COLUMNS = ["optimization", "fps", "fps_no_video", "detect_ms", "detection_agreement_%",
           "incidents_found", "incidents_high", "missed_events_%", "false_alarms_per_min"]


def print_results(result: BenchResult) -> None:
    """The spec's table and the measures behind it, then the recommendation."""
    table = result.table
    with pd.option_context("display.width", 220, "display.max_columns", 20):
        print(table[[c for c in COLUMNS if c in table]].round(2).to_string(index=False))
    rec = result.recommendation
    print(f"\nrecommended: {rec['optimization']} ({rec['why']})")
    print(f"benchmark: {len(table)} configurations in {result.seconds:.0f} s")
    print(f"benchmark table: {display_path(result.csv)}\n"
          f"benchmark plot:  {display_path(result.png)}")
