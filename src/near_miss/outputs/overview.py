"""The ``info`` command: video metadata, detection summary and tracking statistics.

``python -m near_miss info [--video PATH|URL] [--stride 2] [--max-frames N]
[--tracker centroid|sort] [--conf 0.4] [--detector auto] [--imgsz 640] [--rect]
[--threads N]``
runs detection and tracking over the video (every ``stride``-th frame) and prints what spec
Tasks 1.1-1.3 ask for: metadata, average detection time per frame, detections per class,
unique track IDs, average track length and peak active objects.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tatweer_common.errors import UserError

if TYPE_CHECKING:
    from near_miss.tracking import TrackingStats


@dataclass(frozen=True)
class Overview:
    """Results of one pass of detection and tracking over a video."""

    frames_processed: int
    coco_counts: Counter
    class_counts: Counter
    mean_ms: float
    detector: str
    input_size: str
    threads: int
    tracking: TrackingStats


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--video", help="local video file or URL (default: spec YouTube video, "
                        "else the offline stand-in)")
    parser.add_argument("--stride", type=int, default=2, help="process every N-th frame (2)")
    parser.add_argument("--max-frames", type=int, default=None,
                        help="only the first N source frames (default: all)")
    parser.add_argument("--tracker", default="centroid", choices=["centroid", "sort"])
    parser.add_argument("--conf", type=float, default=0.4, help="confidence threshold (0.4)")
    parser.add_argument("--detector", default="auto",
                        help="auto (= yolov8n), yolov8s or an ultralytics .pt path")
    parser.add_argument("--imgsz", type=int, default=640, help="square inference size (640)")
    parser.add_argument("--rect", action="store_true",
                        help="pad to a multiple of 32 instead of the full square (faster)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: half the available cores)")


def _check(args: argparse.Namespace) -> None:
    if args.stride < 1:
        raise UserError(f"--stride must be >= 1, got {args.stride}")
    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames must be >= 1, got {args.max_frames}")
    if not 0.0 <= args.conf <= 1.0:
        raise UserError(f"--conf must be within [0, 1], got {args.conf}")
    if args.imgsz < 32 or args.imgsz % 32:
        raise UserError(f"--imgsz must be a positive multiple of 32, got {args.imgsz}")
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be >= 1, got {args.threads}")


def analyse(video_path, detector, tracker, stride=2, max_frames=None, conf=0.4) -> Overview:
    """Detect and track every ``stride``-th frame of the first ``max_frames`` (progress bar)."""
    import torch
    from tqdm import tqdm

    from near_miss.detection import detect_objects
    from near_miss.ingest import iter_frames, video_metadata
    from near_miss.tracking import tracking_stats

    meta = video_metadata(video_path)
    window = meta.frames if max_frames is None else min(meta.frames, max_frames)
    coco, classes = Counter(), Counter()
    frames = iter_frames(video_path, stride=stride, max_frames=max_frames)
    processed = 0
    for index, frame in tqdm(frames, total=-(-window // stride), unit="frame", desc="detect+track"):
        detections = detect_objects(frame, detector, conf_threshold=conf)
        coco.update(d["coco_class"] for d in detections)
        classes.update(d["class"] for d in detections)
        tracker.update(detections, frame_index=index)
        processed += 1
    return Overview(
        processed, coco, classes, detector.stats.mean_ms, detector.name, _input_size(detector),
        torch.get_num_threads(), tracking_stats(tracker),
    )


def _input_size(detector) -> str:
    if getattr(detector, "rect", False):
        return f"{detector.imgsz} px long side (rect)"
    return f"{detector.imgsz}x{detector.imgsz}"


def format_overview(result: Overview, fps: float, total_frames: int, stride: int) -> str:
    """The detection summary and tracking statistics as printable text."""
    per_class = ", ".join(f"{k}: {v}" for k, v in sorted(result.coco_counts.items())) or "none"
    per_category = ", ".join(f"{k}: {v}" for k, v in sorted(result.class_counts.items())) or "none"
    full_video_s = result.mean_ms / 1000 * -(-total_frames // stride)
    return "\n".join([
        "== detection ==",
        f"detector: {result.detector} at {result.input_size}, "
        f"{result.threads} torch thread(s); frames processed: {result.frames_processed} "
        f"(stride {stride}, effective {fps / stride:.2f} fps)",
        f"average detection time: {result.mean_ms:.1f} ms/frame "
        f"(whole video at stride {stride}: about {full_video_s:.0f} s)",
        f"detections per class: {per_class}",
        f"detections per category: {per_category}",
        "== tracking ==",
        str(result.tracking),
    ])


def main(args: argparse.Namespace) -> int:
    from near_miss.detection import load_detector
    from near_miss.ingest import resolve_video, video_metadata
    from near_miss.tracking import make_tracker

    _check(args)
    source = resolve_video(args.video)
    meta = video_metadata(source.path)
    print("== video ==")
    print(f"source: {source.origin}; {meta.summary()}")
    detector = load_detector(args.detector, args.imgsz, threads=args.threads, rect=args.rect)
    tracker = make_tracker(args.tracker)
    result = analyse(source.path, detector, tracker, args.stride, args.max_frames, args.conf)
    print(format_overview(result, meta.fps, meta.frames, args.stride))
    return 0
