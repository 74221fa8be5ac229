"""Multi-object tracking (spec Task 1.3): centroid, SORT and ByteTrack trackers.

All take the detection dicts of one frame (``update(detections, frame_index)``) and return
an ``OrderedDict`` ``object_id -> {"class", "bbox", "center", "confidence",
"detected_class"}`` (plus ``coco_class`` when the detections carry it) of the objects
matched in that frame: ``class`` is the majority class of the ID so far, ``detected_class``
the class of this frame's detection. With ``coast_frames=N`` > 0 they also return each
object missed for at most N consecutive updates, at its predicted box, with
``"predicted": True`` (a key only such objects have). All keep ``trajectories``
(``object_id -> [(frame_index, cx, cy), ...]``, observations only) and
``class_of(object_id)`` (the majority class). ``min_detection_confidence`` on a tracker is
the lowest detection confidence it wants (None: the pipeline's threshold; ByteTrack: its
low threshold, 0.1 by default).
"""

from __future__ import annotations

from typing import Any

from near_miss.tracking.base import TrackedObjects, clean_detections, run_tracker
from near_miss.tracking.bytetrack import ByteTrackTracker
from near_miss.tracking.centroid import CentroidTracker
from near_miss.tracking.sort import SortTracker
from near_miss.tracking.stats import (
    TrackingStats,
    count_id_switches,
    plot_trajectories,
    tracking_stats,
)
from tatweer_common.errors import UserError

Tracker = CentroidTracker | SortTracker | ByteTrackTracker
TRACKERS: dict[str, type[Tracker]] = {
    "centroid": CentroidTracker,
    "sort": SortTracker,
    "bytetrack": ByteTrackTracker,
}
# The name each tracker gives the spec's ``max_disappeared`` (updates a lost object is kept).
_MAX_DISAPPEARED = {SortTracker: "max_age", ByteTrackTracker: "track_buffer"}


def make_tracker(name: str = "centroid", **kwargs: Any) -> Tracker:
    """A new tracker by name ("centroid", "sort" or "bytetrack"), with its keyword parameters.

    The spec's ``max_disappeared`` is accepted by all (for SORT it sets ``max_age``, for
    ByteTrack ``track_buffer``).
    """
    try:
        cls = TRACKERS[name.lower()]
    except (KeyError, AttributeError):
        raise UserError(f"unknown tracker {name!r}: choose one of {', '.join(TRACKERS)}") from None
    if cls in _MAX_DISAPPEARED and "max_disappeared" in kwargs:
        kwargs[_MAX_DISAPPEARED[cls]] = kwargs.pop("max_disappeared")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise UserError(f"tracker {name!r}: bad parameters {sorted(kwargs)} ({exc})") from None


__all__ = [
    "TRACKERS",
    "ByteTrackTracker",
    "CentroidTracker",
    "SortTracker",
    "TrackedObjects",
    "Tracker",
    "TrackingStats",
    "clean_detections",
    "count_id_switches",
    "make_tracker",
    "plot_trajectories",
    "run_tracker",
    "tracking_stats",
]
