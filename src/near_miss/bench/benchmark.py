"""The ``bench`` command (spec Task 1.7): speed and quality of each CPU optimization.

Every configuration (backend x input size x letterbox x stride x threading) runs the real
pipeline on the same video: decode -> detect -> track -> near-miss logic with the default
settings of ``PipelineConfig`` (``near_miss.bench.threaded.analyse_video``). Measured per row:

* ``fps``: source frames per wall-clock second, end to end (frames skipped by the stride
  count, as they are covered); annotated-video encoding is excluded and measured on its own
  row (``stage = "encode only"``);
* ``missed_events_%``: reference events not found (``near_miss.bench.metrics``), the
  reference being PyTorch, 640x640, stride 1, sequential; ``missed_candidates_%``: the same
  for the near-miss candidates, i.e. every filter of Task 1.6 off (the filters count
  processed frames, so their effect changes with the stride; the candidates' criteria are in
  pixels and seconds and do not);
* ``detection_recall_%``: share of the reference's detections still found (IoU >= 0.5);
* ``projected_3min_s``: the time a 3-minute 30 fps video (5400 frames) would take.

Results are cached per configuration in ``<out>/benchmark_cache/<video>-<sha256>/``, keyed by
the configuration, the pipeline settings, the model and the number of frames, so re-running
(e.g. the notebook) only measures what is new; ``--no-cache`` measures everything again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from near_miss.bench.metrics import MAX_MISSED_PCT, TARGET_FPS
from tatweer_common.io import atomic_path, write_text_atomic

CACHE_VERSION = 1
PROJECTION_FRAMES = 3 * 60 * 30  # a 3-minute video at 30 fps
MIN_RECALL_PCT = 90.0


@dataclass(frozen=True)
class BenchConfig:
    backend: str  # "torch" | "onnx"
    imgsz: int
    rect: bool  # letterbox to the frame's aspect ratio instead of a square
    stride: int
    threaded: bool

    @property
    def key(self) -> str:
        mode = "thr" if self.threaded else "seq"
        return f"{self.backend}-{self.imgsz}{'rect' if self.rect else 'sq'}-s{self.stride}-{mode}"

    @property
    def label(self) -> str:
        backend = "PyTorch" if self.backend == "torch" else "ONNX Runtime"
        size = f"{self.imgsz} rect" if self.rect else f"{self.imgsz}x{self.imgsz}"
        mode = "threaded" if self.threaded else "sequential"
        return f"{backend} {size}, stride {self.stride}, {mode}"


REFERENCE = BenchConfig("torch", 640, False, 1, False)
SPEC_DEFAULT = BenchConfig("torch", 640, False, 2, False)


@dataclass(frozen=True)
class BenchSettings:
    """Which configurations to run: the ONNX threaded grid plus the baselines."""

    resolutions: tuple[int, ...] = (320, 416, 640)
    strides: tuple[int, ...] = (1, 2, 3, 4)
    letterboxes: tuple[bool, ...] = (False, True)  # square, rect
    max_frames: int | None = None
    spec_default: bool = True  # also PyTorch 640 at stride 2

    @classmethod
    def quick(cls) -> BenchSettings:
        return cls(resolutions=(320, 640), letterboxes=(True,), max_frames=150)

    @classmethod
    def smoke(cls) -> BenchSettings:
        return cls(resolutions=(320,), strides=(1, 2), letterboxes=(True,), max_frames=12,
                   spec_default=False)

    def configs(self) -> list[BenchConfig]:
        """Reference first, then the baselines, then the grid (no duplicates).

        Sequential runs: ONNX at the reference's size and stride (ONNX alone vs PyTorch), and
        the smallest input at every stride, where decoding weighs most (threading's gain)."""
        top, small = max(self.resolutions), min(self.resolutions)
        out = [REFERENCE] + ([SPEC_DEFAULT] if self.spec_default else [])
        out += [BenchConfig("onnx", top, self.letterboxes[0], 1, False)]
        out += [BenchConfig("onnx", size, rect, stride, True) for rect in self.letterboxes
                for size in self.resolutions for stride in self.strides]
        out += [BenchConfig("onnx", small, self.letterboxes[-1], stride, False)
                for stride in self.strides]
        return list(dict.fromkeys(out))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--video", action="append", help="video path or URL; repeat for "
                        "several (default: the spec's YouTube video, else the offline sample)")
    parser.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer configurations on the first 150 frames")
    parser.add_argument("--max-frames", type=int, help="benchmark only the first N frames")
    parser.add_argument("--threads", type=int, help="inference threads (default: half the cores)")
    parser.add_argument("--no-cache", dest="cache", action="store_false",
                        help="measure every configuration again")


def main(args: argparse.Namespace) -> int:
    from near_miss.ingest import resolve_video
    from tatweer_common.errors import UserError
    from tatweer_common.paths import is_smoke

    settings = BenchSettings.smoke() if is_smoke() else (
        BenchSettings.quick() if args.quick else BenchSettings())
    if args.max_frames is not None:
        if args.max_frames < 1:
            raise UserError(f"--max-frames must be >= 1, got {args.max_frames}")
        settings = BenchSettings(**{**asdict(settings), "max_frames": args.max_frames})
    videos = [resolve_video(v).path for v in (args.video or [None])]
    result = run_benchmark(videos, settings, args.out, threads=args.threads, cache=args.cache)
    print_results(result)
    return 0


@dataclass
class BenchResult:
    table: pd.DataFrame
    recommendation: dict
    csv: Path
    png: Path


def run_benchmark(videos: list[str | Path], settings: BenchSettings | None = None,
                  out: str | Path = "outputs", threads: int | None = None,
                  cache: bool = True, progress: bool = True) -> BenchResult:
    """Benchmark every configuration on every video; write benchmark.csv and benchmark.png."""
    from near_miss.bench.plot import save_benchmark_figure

    settings, out = settings or BenchSettings(), Path(out)
    rows = []
    for video in videos:
        rows += VideoBench(Path(video), settings, out, threads, cache, progress).rows()
    table = pd.DataFrame(rows)
    csv = out / "benchmark.csv"
    with atomic_path(csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.2f")
    png = save_benchmark_figure(table, out / "benchmark.png")
    return BenchResult(table, recommend(table), csv, png)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:12]


class VideoBench:
    """All configurations on one video, with the per-configuration result cache."""

    def __init__(self, video: Path, settings: BenchSettings, out: Path, threads: int | None,
                 cache: bool, progress: bool) -> None:
        from near_miss.config import PipelineConfig
        from near_miss.detection import load_detector
        from near_miss.ingest import video_metadata

        self.video, self.settings, self.cache, self.progress = video, settings, cache, progress
        self.meta = video_metadata(video)
        self.frames = min(self.meta.frames, settings.max_frames or self.meta.frames)
        self.pipeline = PipelineConfig()
        self.threads = threads
        self.torch = load_detector(self.pipeline.detector, imgsz=640, threads=threads)
        self._onnx: dict[tuple[int, bool], object] = {}
        fingerprint = json.dumps({
            "version": CACHE_VERSION, "model": self.torch.name, "threads": threads,
            "frames": self.frames, "pipeline": {k: v for k, v in self.pipeline.as_dict().items()
                                                if k not in ("video", "out", "data_dir")}},
            sort_keys=True)
        self.settings_hash = hashlib.sha256(fingerprint.encode()).hexdigest()[:8]
        self.folder = out / "benchmark_cache" / f"{video.stem}-{file_digest(video)}"

    def detector(self, cfg: BenchConfig):
        if cfg.backend == "torch":
            self.torch.imgsz, self.torch.rect = cfg.imgsz, cfg.rect
            return self.torch
        if (cfg.imgsz, cfg.rect) not in self._onnx:
            from near_miss.detection.onnx_backend import OnnxDetector

            self._onnx[cfg.imgsz, cfg.rect] = OnnxDetector.from_torch(
                self.torch, self.threads, imgsz=cfg.imgsz, rect=cfg.rect)
        return self._onnx[cfg.imgsz, cfg.rect]

    def measure(self, cfg: BenchConfig):
        """The cached ``StreamResult``-like record of ``cfg``, measured when missing."""
        from near_miss.bench.threaded import analyse_video

        return cached_run(self.folder / f"{cfg.key}-f{self.frames}-{self.settings_hash}",
                          lambda: analyse_video(
                              self.video, self.detector(cfg), stride=cfg.stride,
                              max_frames=self.frames, threaded=cfg.threaded,
                              config=self.pipeline),
                          self.cache)

    def rows(self) -> list[dict]:
        from tqdm import tqdm

        configs = self.settings.configs()
        results = {}
        for cfg in tqdm(configs, desc=f"bench {self.video.name}", unit="config",
                        disable=not self.progress):
            results[cfg] = self.measure(cfg)
        reference = results[REFERENCE]
        self.reference_candidates = self.candidates(REFERENCE, reference)
        rows = [self.row(cfg, run, reference) for cfg, run in results.items()]
        return rows + [self.encode_row(reference)]

    def row(self, cfg: BenchConfig, run, reference) -> dict:
        from near_miss.bench.metrics import detection_recall, match_events
        from near_miss.detection.onnx_backend import Letterbox

        match = match_events(reference.events, run.events, reference.tracks, run.tracks)
        raw = match_events(self.reference_candidates, self.candidates(cfg, run),
                           reference.tracks, run.tracks)
        shape = Letterbox.plan(self.meta.height, self.meta.width, cfg.imgsz, cfg.rect).input_shape
        return {
            "video": self.video.name, "stage": "end-to-end", "optimization": cfg.label,
            "backend": cfg.backend, "input": f"{shape[1]}x{shape[0]}", "imgsz": cfg.imgsz,
            "letterbox": "rect" if cfg.rect else "square", "stride": cfg.stride,
            "threaded": cfg.threaded, "frames": run.frames, "processed": run.processed,
            "wall_s": run.wall_s, "fps": run.fps, "detect_ms": run.detect_ms,
            "events": len(run.events), "reference_events": match.reference,
            "missed_events_%": match.missed_pct,
            "missed_events_class_time_%": match.missed_class_time_pct,
            "candidates": raw.candidates, "reference_candidates": raw.reference,
            "missed_candidates_%": raw.missed_pct,
            "detection_recall_%": detection_recall(
                reference.detections, run.detections, range(0, run.frames, cfg.stride)),
            "projected_3min_s": PROJECTION_FRAMES / run.fps,
        }

    def candidates(self, cfg: BenchConfig, run) -> pd.DataFrame:
        """The run's near-miss candidates: its tracks replayed with every filter off."""
        from near_miss.outputs.review import replay_events

        config = self.pipeline.with_overrides(stride=cfg.stride)
        return replay_events(run.tracks, config, self.meta.fps, run.frames, filters=False)

    def encode_row(self, reference) -> dict:
        """Encoding the annotated H.264 video (excluded from every fps above)."""
        path = self.folder / f"encode-f{self.frames}-{self.settings_hash}.json"
        if self.cache and path.is_file():
            seconds = json.loads(path.read_text())["seconds"]
        else:
            seconds = time_encoding(self.video, reference, self.meta.fps, self.folder)
            write_text_atomic(path, json.dumps({"seconds": seconds}))
        return {"video": self.video.name, "stage": "encode only",
                "optimization": "annotated video encoding (H.264), not in the fps above",
                "frames": self.frames, "wall_s": seconds, "fps": self.frames / seconds,
                "projected_3min_s": PROJECTION_FRAMES * seconds / self.frames}


def time_encoding(video: Path, run, fps: float, folder: Path) -> float:
    """Seconds taken by ``render_video`` to draw and encode ``run``'s tracks and events."""
    from near_miss.outputs.render import render_video

    start = time.perf_counter()
    render_video(video, run.tracks, run.events, folder / "encode_check.mp4", fps=fps, stride=1,
                 end_frame=run.frames, progress=False)
    return time.perf_counter() - start


@dataclass
class CachedRun:
    """What the benchmark keeps of one ``StreamResult`` (same attribute names)."""

    frames: int
    processed: int
    wall_s: float
    detect_ms: float
    tracks: pd.DataFrame
    detections: pd.DataFrame
    events: pd.DataFrame

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else math.nan


TABLE_FILES = ("tracks", "detections", "events")


def cached_run(folder: Path, measure, cache: bool = True) -> CachedRun:
    """Load the run saved in ``folder``, or call ``measure()`` and save its result there."""
    timing = folder / "timing.json"
    if cache and timing.is_file():
        t = json.loads(timing.read_text())
        tables = {n: pd.read_csv(folder / f"{n}.csv") for n in TABLE_FILES}
        return CachedRun(t["frames"], t["processed"], t["wall_s"], t["detect_ms"], **tables)
    run = measure()
    for name in TABLE_FILES:
        with atomic_path(folder / f"{name}.csv") as tmp:
            getattr(run, name).to_csv(tmp, index=False)
    write_text_atomic(timing, json.dumps({k: getattr(run, k) for k in
                                          ("frames", "processed", "wall_s", "detect_ms")}))
    return CachedRun(run.frames, run.processed, run.wall_s, run.detect_ms,
                     *(getattr(run, n) for n in TABLE_FILES))


def _pooled(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: worst fps and recall over the videos, missed % pooled over them."""
    runs = runs.assign(
        miss_ev=runs["reference_events"] * runs["missed_events_%"].fillna(0) / 100,
        miss_c=runs["reference_candidates"] * runs["missed_candidates_%"].fillna(0) / 100)
    agg = runs.groupby("optimization", sort=False).agg(
        stride=("stride", "first"), fps=("fps", "min"), recall=("detection_recall_%", "min"),
        ref_ev=("reference_events", "sum"), miss_ev=("miss_ev", "sum"),
        ref_c=("reference_candidates", "sum"), miss_c=("miss_c", "sum"))
    agg["missed_events"] = (100 * agg["miss_ev"] / agg["ref_ev"]).fillna(0.0)
    agg["missed_candidates"] = (100 * agg["miss_c"] / agg["ref_c"]).fillna(0.0)
    return agg.reset_index()


def recommend(table: pd.DataFrame, min_fps: float = TARGET_FPS,
              max_missed: float = MAX_MISSED_PCT, min_recall: float = MIN_RECALL_PCT) -> dict:
    """The configuration for production.

    Among the configurations that keep >= ``min_recall`` % of the reference detections and
    reach ``min_fps`` on every video: the smallest stride (skipping frames only ever removes
    information, whereas the missed-event percentages are noisy: changing the letterbox
    alone, at stride 1, changes about a third of the candidates), then the best detection
    recall, then the fewest missed candidates (pooled over the videos), then the fastest.
    Without one reaching ``min_fps``: the fastest. ``targets_met`` tells whether the pick
    also misses <= ``max_missed`` % of both events and candidates.
    """
    agg = _pooled(table[table["stage"] == "end-to-end"])
    faithful = agg[agg["recall"] >= min_recall]
    pool = faithful if len(faithful) else agg
    fast = pool[pool["fps"] >= min_fps]
    if len(fast):
        pick = fast.sort_values(["stride", "recall", "missed_candidates", "fps"],
                                ascending=[True, False, True, False]).iloc[0]
        why = (f">= {min_fps:g} fps on every video with >= {min_recall:g}% detection recall; "
               "the smallest stride, then the best recall, among those")
    else:
        pick = pool.sort_values("fps", ascending=False).iloc[0]
        why = f"no configuration reached {min_fps:g} fps: the fastest"
    met = pick["fps"] >= min_fps and max(pick["missed_events"],
                                         pick["missed_candidates"]) <= max_missed
    runs = table[(table["stage"] == "end-to-end") & (table["optimization"] == pick["optimization"])]
    return {"optimization": pick["optimization"], "why": why, "targets_met": bool(met),
            "pooled": {k: float(pick[k]) for k in ("fps", "recall", "missed_events",
                                                   "missed_candidates")},
            "per_video": runs[["video", "fps", "missed_events_%", "missed_candidates_%",
                               "detection_recall_%"]].to_dict("records")}


COLUMNS = ["optimization", "input", "fps", "events", "missed_events_%",
           "missed_events_class_time_%", "candidates", "missed_candidates_%",
           "detection_recall_%", "detect_ms", "projected_3min_s"]


def print_results(result: BenchResult) -> None:
    """The table per video, the spec-default projection and the recommendation."""
    table = result.table
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for video, part in table.groupby("video", sort=False):
            print(f"\n=== {video}")
            print(part[[c for c in COLUMNS if c in part]].round(1).to_string(index=False))
            spec = part[part["optimization"] == SPEC_DEFAULT.label]
            encode = part[part["stage"] == "encode only"]
            if len(spec) and len(encode):
                print(f"3-minute 30 fps video at the spec defaults ({SPEC_DEFAULT.label}): "
                      f"{spec['projected_3min_s'].iloc[0]:.0f} s analysis + "
                      f"{encode['projected_3min_s'].iloc[0]:.0f} s video encoding")
    rec = result.recommendation
    pooled = rec["pooled"]
    print(f"\nrecommended: {rec['optimization']} ({rec['why']})")
    for r in rec["per_video"]:
        print(f"  {r['video']}: {r['fps']:.1f} fps, missed {r['missed_events_%']:.1f}% of events "
              f"and {r['missed_candidates_%']:.1f}% of candidates, "
              f"detection recall {r['detection_recall_%']:.1f}%")
    print(f"  all videos: missed {pooled['missed_events']:.1f}% of events and "
          f"{pooled['missed_candidates']:.1f}% of candidates; targets (>= {TARGET_FPS:g} fps, "
          f"<= {MAX_MISSED_PCT:g}% missed) met: {'yes' if rec['targets_met'] else 'no'}")
    print(f"\nbenchmark table: {result.csv}\nbenchmark plot:  {result.png}")
