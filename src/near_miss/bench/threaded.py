"""The timed analysis loop of the benchmark: decode, detect, track and near-miss logic."""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm import tqdm

DETECTION_COLUMNS = ["frame_index", "class", "x1", "y1", "x2", "y2", "confidence"]


@dataclass
class StreamResult:
    """One timed end-to-end pass: decode, detect, track and near-miss logic."""

    frames: int  # source frames covered (processed or skipped by the stride)
    processed: int  # frames the detector saw
    wall_s: float
    detect_ms: float  # mean detector time per processed frame
    tracks: pd.DataFrame  # near_miss.pipeline.TRACK_COLUMNS
    detections: pd.DataFrame  # DETECTION_COLUMNS
    events: pd.DataFrame

    @property
    def fps(self) -> float:
        """Source frames per wall-clock second."""
        return self.frames / self.wall_s if self.wall_s > 0 else math.nan


def analyse_video(video: str | Path, detector, stride: int = 1, max_frames: int | None = None,
                  threaded: bool = True, config=None, queue_size: int = 8,
                  progress: bool = False) -> StreamResult:
    """Run ``detector`` -> tracker -> ``NearMissDetector`` over ``video`` and time it.

    ``config`` (a ``PipelineConfig``, default settings when None) gives the confidence
    threshold, tracker and near-miss settings; ``stride`` and ``max_frames`` override it.
    The detector first runs once on frame 0 (export, session start, caches) outside the
    timing; the clock then covers opening the video to the last near-miss update.
    """
    from near_miss.config import PipelineConfig
    from near_miss.detection import detect_objects
    from near_miss.ingest import iter_frames, read_frame, video_metadata
    from near_miss.pipeline import TRACK_COLUMNS, _stages, _track_rows
    from near_miss.threads import ThreadedPipeline

    config = (config or PipelineConfig()).with_overrides(stride=stride)
    meta = video_metadata(video)
    end = meta.frames if max_frames is None else min(meta.frames, max_frames)
    _, tracker, engine = _stages(config, meta.fps, model=detector)
    detect_objects(read_frame(video, 0), detector, config.conf)  # warm-up, not timed
    detector.stats.frame_ms.clear()
    tracks, detections = [], []

    def detect(item):
        return detect_objects(item[1], detector, conf_threshold=config.conf)

    start = time.perf_counter()
    frames = iter_frames(video, stride=stride, max_frames=end)
    if threaded:
        context = ThreadedPipeline(frames, detect, maxsize=queue_size)
    else:
        context = contextlib.nullcontext((item, detect(item)) for item in frames)
    with context as stream:
        for (index, _), dets in tqdm(stream, total=math.ceil(end / stride), unit="frame",
                                     desc=f"stride {stride}", disable=not progress, leave=False):
            detections.extend((index, d["class"], *d["bbox"], d["confidence"]) for d in dets)
            tracked = tracker.update(dets, frame_index=index)
            engine.process_frame(index, tracked)
            tracks.extend(_track_rows(index, tracked))
    wall = time.perf_counter() - start
    return StreamResult(end, detector.stats.frames, wall, detector.stats.mean_ms,
                        pd.DataFrame(tracks, columns=TRACK_COLUMNS),
                        pd.DataFrame(detections, columns=DETECTION_COLUMNS),
                        engine.events_dataframe())
