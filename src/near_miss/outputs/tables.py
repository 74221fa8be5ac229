"""The tracks table (``tracks.csv``): its columns, and its rows replayed as tracker output.

``class`` is the ID's majority class (the spec's rule), ``detected_class`` the class detected
in that frame (empty for a predicted box), from which the video draws the current class.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

import pandas as pd

TRACK_COLUMNS = [
    "frame_index", "object_id", "class", "coco_class", "detected_class",
    "x1", "y1", "x2", "y2", "cx", "cy", "confidence",
]


def tracked_frames(tracks: pd.DataFrame, frame_indices: Iterable[int],
                   min_confidence: float = 0.0) -> list[tuple[int, dict]]:
    """The tracker's per-frame output rebuilt from a tracks table, for replaying the near-miss
    logic (e.g. filters on vs off); frames without objects give an empty mapping.

    ``min_confidence``: the run's detection threshold; a row below it was a tracker's
    low-confidence extension and is flagged as such (``"low_confidence": True``)."""
    by_frame = {int(k): g for k, g in tracks.groupby("frame_index")}
    frames = []
    for f in frame_indices:
        objects: OrderedDict[int, dict] = OrderedDict()
        rows = by_frame.get(int(f))
        for r in [] if rows is None else rows.to_dict("records"):
            objects[int(r["object_id"])] = {
                "class": r["class"], "coco_class": r["coco_class"],
                "bbox": [r["x1"], r["y1"], r["x2"], r["y2"]], "center": (r["cx"], r["cy"]),
                "confidence": r["confidence"],
                "low_confidence": r["confidence"] < min_confidence}
        frames.append((int(f), objects))
    return frames
