"""Multi-object tracking (spec Task 1.3): a centroid tracker and a SORT tracker.

Both take the detection dicts of one frame (``update(detections, frame_index)``) and return
an ``OrderedDict`` ``object_id -> {"class", "bbox", "center", "confidence"}`` (plus
``coco_class`` when the detections carry it) of the objects matched in that frame. Both keep
``trajectories`` (``object_id -> [(frame_index, cx, cy), ...]``) and ``class_of(object_id)``
(the majority class).
"""

from __future__ import annotations

from typing import Any

from near_miss.tracking.base import TrackedObjects, clean_detections, run_tracker
from near_miss.tracking.centroid import CentroidTracker
from near_miss.tracking.sort import SortTracker
from near_miss.tracking.stats import (
    TrackingStats,
    count_id_switches,
    plot_trajectories,
    tracking_stats,
)
from tatweer_common.errors import UserError

TRACKERS = {"centroid": CentroidTracker, "sort": SortTracker}


def make_tracker(name: str = "centroid", **kwargs: Any) -> CentroidTracker | SortTracker:
    """A new tracker by name ("centroid" or "sort"), with its keyword parameters.

    The spec's ``max_disappeared`` is accepted by both (for SORT it sets ``max_age``).
    """
    try:
        cls = TRACKERS[name.lower()]
    except (KeyError, AttributeError):
        raise UserError(f"unknown tracker {name!r}: choose one of {', '.join(TRACKERS)}") from None
    if cls is SortTracker and "max_disappeared" in kwargs:
        kwargs["max_age"] = kwargs.pop("max_disappeared")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise UserError(f"tracker {name!r}: bad parameters {sorted(kwargs)} ({exc})") from None


__all__ = [
    "TRACKERS",
    "CentroidTracker",
    "SortTracker",
    "TrackedObjects",
    "TrackingStats",
    "clean_detections",
    "count_id_switches",
    "make_tracker",
    "plot_trajectories",
    "run_tracker",
    "tracking_stats",
]
