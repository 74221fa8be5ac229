"""What the trackers share: input cleaning, trajectories, majority class and output format."""

from __future__ import annotations

import math
import warnings
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# object_id -> {"class", "bbox", "center", "confidence", "detected_class"[, "coco_class"]
#               [, "predicted"]}
TrackedObjects = OrderedDict
Trajectory = list[tuple[int, float, float]]  # (frame_index, cx, cy)


def _problem(det: Any) -> str | None:
    """Why ``det`` cannot be tracked, or None when it is usable."""
    if not isinstance(det, Mapping):
        return f"not a dict ({type(det).__name__})"
    try:
        x1, y1, x2, y2 = (float(v) for v in det["bbox"])
        center = det.get("center")
        if center is None:
            center = ((x1 + x2) / 2, (y1 + y2) / 2)
        cx, cy = (float(v) for v in center)
    except (KeyError, TypeError, ValueError):
        return "bbox must be [x1, y1, x2, y2] and center (cx, cy) numbers"
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2, cx, cy)):
        return "NaN or infinite coordinate"
    if x2 <= x1 or y2 <= y1:
        return f"zero-size box {[x1, y1, x2, y2]}"
    return None


def clean_detections(detections: Iterable[Any] | None) -> list[dict]:
    """Usable detections as normalised dicts; each unusable one is skipped with a warning.

    A normalised detection has float ``bbox`` (list) and ``center`` (tuple, computed from
    the box when absent), a string ``class``, a float ``confidence`` and the optional
    ``coco_class``.
    """
    cleaned: list[dict] = []
    for i, det in enumerate(detections or []):
        problem = _problem(det)
        if problem:
            message = f"tracking: skipped detection {i}: {problem}"
            warnings.warn(message, RuntimeWarning, stacklevel=3)
            continue
        bbox = [float(v) for v in det["bbox"]]
        center = det.get("center")
        if center is None:
            center = ((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2)
        out = {
            "class": str(det.get("class", "unknown")),
            "bbox": bbox,
            "center": (float(center[0]), float(center[1])),
            "confidence": float(det.get("confidence", 1.0)),
        }
        if "coco_class" in det:
            out["coco_class"] = det["coco_class"]
        cleaned.append(out)
    return cleaned


class TrackHistory:
    """Trajectories and class votes per object ID, plus the frame counter.

    ``frame_index`` passed to ``update`` is used as is (the index in the source video);
    when omitted, the number of previous ``update`` calls is used instead.

    ``min_detection_confidence``: the lowest detection confidence the tracker wants to be
    given; None means "the pipeline's detection threshold" (trackers that take every
    detection they get as a real object). ByteTrack sets it to its low threshold.
    """

    min_detection_confidence: float | None = None

    def __init__(self) -> None:
        self.trajectories: dict[int, Trajectory] = {}
        self._votes: dict[int, Counter] = {}
        self.frame_count = 0  # number of update() calls so far

    def _frame(self, frame_index: int | None) -> int:
        index = self.frame_count if frame_index is None else int(frame_index)
        self.frame_count += 1
        return index

    def _record(self, object_id: int, det: dict, frame_index: int) -> None:
        cx, cy = det["center"]
        self.trajectories.setdefault(object_id, []).append((frame_index, cx, cy))
        votes = self._votes.setdefault(object_id, Counter())
        votes[(det["class"], det.get("coco_class"))] += 1

    def class_of(self, object_id: int) -> str | None:
        """The most frequent class detected for ``object_id`` (first seen wins a tie)."""
        votes = self._class_votes(object_id)
        return votes.most_common(1)[0][0] if votes else None

    def _class_votes(self, object_id: int) -> Counter:
        votes: Counter = Counter()
        for (cls, _), n in self._votes.get(object_id, Counter()).items():
            votes[cls] += n
        return votes

    def _coco_class_of(self, object_id: int, cls: str) -> Any:
        pairs = [(n, coco) for (c, coco), n in self._votes[object_id].items() if c == cls]
        return max(pairs, key=lambda p: p[0])[1]

    def _output(self, object_id: int, det: dict) -> dict:
        """The spec's output dict: majority class, this frame's box, center and confidence.

        ``detected_class`` is the class of this frame's own detection (the majority class
        lags behind after an ID switch; the annotated video labels boxes from it).
        """
        cls = self.class_of(object_id)
        out = {
            "class": cls,
            "bbox": list(det["bbox"]),
            "center": tuple(det["center"]),
            "confidence": det["confidence"],
            "detected_class": det["class"],
        }
        if "coco_class" in det:
            out["coco_class"] = self._coco_class_of(object_id, cls)
        return out

    def _coasting(self, object_id: int, bbox: Sequence[float], last: dict) -> dict:
        """Output of an unmatched object at its predicted ``bbox``, marked ``"predicted": True``.

        Class and confidence are those of its last matched detection ``last``; it was not
        detected in this frame, so ``detected_class`` is None.
        """
        x1, y1, x2, y2 = (float(v) for v in bbox)
        det = last | {"bbox": [x1, y1, x2, y2], "center": ((x1 + x2) / 2, (y1 + y2) / 2)}
        return self._output(object_id, det) | {"detected_class": None, "predicted": True}


def run_tracker(
    tracker: Any, detections_per_frame: Iterable[tuple[int, Sequence[dict]]]
) -> list[tuple[int, TrackedObjects]]:
    """Feed ``(frame_index, detections)`` pairs to ``tracker``; return its output per frame."""
    return [(i, tracker.update(dets, frame_index=i)) for i, dets in detections_per_frame]
