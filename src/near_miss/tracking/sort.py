"""SORT tracker (spec Task 1.3, option B): Kalman filter per box + Hungarian matching on IoU.

After Bewley et al., "Simple Online and Realtime Tracking" (ICIP 2016). The constant-velocity
Kalman filter is written here with numpy (a few lines), the assignment uses
``scipy.optimize.linear_sum_assignment``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from near_miss.tracking.base import TrackedObjects, TrackHistory, clean_detections


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def iou_matrix(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``boxes_a`` (N, 4) with every box in ``boxes_b``."""
    a = np.asarray(boxes_a, dtype=float).reshape(-1, 1, 4)
    b = np.asarray(boxes_b, dtype=float).reshape(1, -1, 4)
    w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = w * h
    union = _area(a) + _area(b) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return np.nan_to_num(iou)


class KalmanBox:
    """Constant-velocity Kalman filter on the box state [cx, cy, area, aspect, vx, vy, v_area].

    Noise settings follow the SORT paper's reference implementation: the aspect ratio is
    taken as constant, the initial velocities are very uncertain.
    """

    F = np.eye(7) + np.eye(7, k=4)  # x' = x + v for cx, cy, area
    H = np.eye(4, 7)
    R = np.diag([1.0, 1.0, 10.0, 10.0])
    Q = np.diag([1.0, 1.0, 1.0, 1.0, 0.01, 0.01, 0.0001])

    def __init__(self, bbox) -> None:
        self.x = np.zeros(7)
        self.x[:4] = self.to_z(bbox)
        self.P = np.diag([10.0, 10.0, 10.0, 10.0, 1e4, 1e4, 1e4])

    @staticmethod
    def to_z(bbox) -> np.ndarray:
        x1, y1, x2, y2 = bbox
        w, h = x2 - x1, y2 - y1
        return np.array([x1 + w / 2, y1 + h / 2, w * h, w / h])

    def box(self) -> np.ndarray:
        """The current state as [x1, y1, x2, y2] (NaN when the area has collapsed)."""
        cx, cy, s, r = self.x[:4]
        if s <= 0 or r <= 0:
            return np.full(4, np.nan)
        w = np.sqrt(s * r)
        h = s / w
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])

    def predict(self) -> np.ndarray:
        if self.x[2] + self.x[6] <= 0:
            self.x[6] = 0.0
        self.x = self.F @ self.x
        self.P = self.F @ self.P @ self.F.T + self.Q
        return self.box()

    def update(self, bbox) -> None:
        y = self.to_z(bbox) - self.H @ self.x
        S = self.H @ self.P @ self.H.T + self.R
        K = self.P @ self.H.T @ np.linalg.inv(S)
        self.x = self.x + K @ y
        self.P = (np.eye(7) - K @ self.H) @ self.P


@dataclass
class _Track:
    kf: KalmanBox
    hit_streak: int = 1
    time_since_update: int = 0
    object_id: int | None = None  # assigned on confirmation
    pending: list[tuple[int, dict]] = field(default_factory=list)  # hits before confirmation
    last: dict | None = None  # last matched detection


class SortTracker(TrackHistory):
    """SORT with the centroid tracker's interface and output.

    A track is created for each unmatched detection and gets its public ID once it has
    been matched in ``min_hits`` consecutive updates (its earlier points are then added to
    its trajectory), so one-frame false positives never consume an ID. A track not
    matched for more than ``max_age`` updates is dropped. Matches need IoU >=
    ``iou_threshold`` between the Kalman-predicted box and the detection; the default 0.2
    is below the paper's 0.3 because at stride 2 a pedestrian box about 15 px wide moves
    about a third of its width per processed frame (measured on the crosswalk sample),
    so 0.3 fragments tracks. The reported box and center are the matched detection's own
    (not the filtered state), like the centroid tracker, so all trackers feed identical
    geometry downstream.

    ``coast_frames``: a confirmed track not matched in this update is also returned, at its
    Kalman-predicted box with ``"predicted": True``, for up to this many consecutive missed
    updates (0: never, as in the paper).
    """

    def __init__(
        self,
        max_age: int = 10,
        min_hits: int = 3,
        iou_threshold: float = 0.2,
        coast_frames: int = 0,
    ) -> None:
        super().__init__()
        self.max_age = int(max_age)
        self.min_hits = int(min_hits)
        self.iou_threshold = float(iou_threshold)
        self.coast_frames = int(coast_frames)
        self.next_object_id = 0
        self.tracks: list[_Track] = []

    def _match(self, dets: list[dict]) -> dict[int, int]:
        """Detection index -> track index, by Hungarian assignment on IoU."""
        predicted = np.array([t.kf.predict() for t in self.tracks]).reshape(-1, 4)
        if not len(predicted) or not dets:
            return {}
        iou = iou_matrix(predicted, np.array([d["bbox"] for d in dets]))
        rows, cols = linear_sum_assignment(-iou)
        return {c: r for r, c in zip(rows, cols, strict=True) if iou[r, c] >= self.iou_threshold}

    def _observe(self, track: _Track, det: dict, frame: int, output: TrackedObjects) -> None:
        """Record a hit; confirm the track when it has enough; add it to ``output``."""
        track.last = det
        track.pending.append((frame, det))
        if track.object_id is None and track.hit_streak >= self.min_hits:
            track.object_id = self.next_object_id
            self.next_object_id += 1
        if track.object_id is not None:
            for f, d in track.pending:
                self._record(track.object_id, d, f)
            track.pending.clear()
            output[track.object_id] = self._output(track.object_id, det)

    def update(
        self, detections: Iterable[dict] | None, frame_index: int | None = None
    ) -> TrackedObjects:
        """Match this frame's detections; return the confirmed objects matched in this frame.

        Coasting tracks are added when ``coast_frames`` > 0.
        """
        frame = self._frame(frame_index)
        dets = clean_detections(detections)
        matches = self._match(dets)
        output: TrackedObjects = OrderedDict()
        matched_tracks = set(matches.values())
        for t_index, track in enumerate(self.tracks):
            if t_index not in matched_tracks:
                track.time_since_update += 1
                track.hit_streak = 0
        for j, det in enumerate(dets):
            if j in matches:
                track = self.tracks[matches[j]]
                track.kf.update(det["bbox"])
                track.time_since_update = 0
                track.hit_streak += 1
            else:
                track = _Track(KalmanBox(det["bbox"]))
                self.tracks.append(track)
            self._observe(track, det, frame, output)
        self.tracks = [t for t in self.tracks if t.time_since_update <= self.max_age]
        output.update(self._coasting_objects())
        return OrderedDict(sorted(output.items()))

    def _coasting_objects(self) -> TrackedObjects:
        """Confirmed tracks missed at most ``coast_frames`` updates, at their predicted box."""
        out: TrackedObjects = OrderedDict()
        for track in self.tracks:
            missed = track.time_since_update
            if track.object_id is None or not 0 < missed <= self.coast_frames:
                continue
            box = track.kf.box()
            if np.isfinite(box).all():
                out[track.object_id] = self._coasting(track.object_id, box, track.last)
        return out
