"""Run the detector over a recorded sequence of tracker outputs, with filters on and off."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from near_miss.nearmiss.detector import NearMissDetector
from near_miss.nearmiss.events import filter_comparison
from near_miss.nearmiss.filters import FilterConfig

TrackedFrames = Iterable[tuple[int, Mapping]]


def run_detector(frames: TrackedFrames, fps: float, **options) -> NearMissDetector:
    """Feed ``(frame_index, tracked_objects)`` pairs in order, close the open episodes at the
    end; return the detector."""
    detector = NearMissDetector(fps, **options)
    for frame_index, tracked in frames:
        detector.process_frame(frame_index, tracked)
    detector.finish()
    return detector


@dataclass
class FilterComparison:
    table: pd.DataFrame  # rows Total/High/Medium/Low; columns filters off/on/removed
    without_filters: NearMissDetector
    with_filters: NearMissDetector


def compare_filters(
    frames: TrackedFrames, fps: float, filters: FilterConfig | None = None, **options
) -> FilterComparison:
    """Run the same frames through a detector without and with ``filters`` (default: all)."""
    frames = list(frames)
    off = run_detector(frames, fps, filters=FilterConfig.off(), **options)
    on = run_detector(frames, fps, filters=filters or FilterConfig(), **options)
    return FilterComparison(filter_comparison(off.events, on.events), off, on)
