"""Centroid tracker (spec Task 1.3, option A): match centroids frame to frame by distance."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

import numpy as np
from scipy.spatial.distance import cdist

from near_miss.tracking.base import TrackedObjects, TrackHistory, clean_detections


def greedy_pairs(distances: np.ndarray, max_distance: float) -> list[tuple[int, int]]:
    """(row, col) pairs taken globally smallest distance first, each row/col used once.

    Pairs farther apart than ``max_distance`` are never taken.
    """
    rows, cols = np.unravel_index(np.argsort(distances, axis=None, kind="stable"), distances.shape)
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    pairs = []
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        if distances[r, c] > max_distance:
            break
        if r not in used_rows and c not in used_cols:
            pairs.append((r, c))
            used_rows.add(r)
            used_cols.add(c)
    return pairs


class CentroidTracker(TrackHistory):
    """Classic centroid tracker with a distance gate.

    Each frame, the Euclidean distances (``scipy.spatial.distance.cdist``) between the
    tracked centroids and the new detections' centers are matched greedily, smallest
    distance first (the classic centroid-tracker rule, made order independent). A
    detection farther than ``max_distance`` pixels from every free track starts a new ID;
    the default of 100 px is about one car length at 640-720p and several times the
    per-update motion of road users at stride 2. A track missing for more than
    ``max_disappeared`` consecutive updates is deregistered. Matching ignores the class
    (detector class flips are common); the class reported is the majority class per ID.
    """

    def __init__(self, max_disappeared: int = 10, max_distance: float = 100.0) -> None:
        super().__init__()
        self.max_disappeared = int(max_disappeared)
        self.max_distance = float(max_distance)
        self.next_object_id = 0
        self.objects: OrderedDict[int, np.ndarray] = OrderedDict()  # id -> last centroid
        self.disappeared: OrderedDict[int, int] = OrderedDict()  # id -> missed updates
        self.detections: dict[int, dict] = {}  # id -> last matched detection

    def register(self, centroid, detection: dict | None = None) -> int:
        """Start tracking ``centroid`` under a new unique integer ID and return the ID."""
        object_id = self.next_object_id
        self.next_object_id += 1
        self.objects[object_id] = np.asarray(centroid, dtype=float)
        self.disappeared[object_id] = 0
        if detection is not None:
            self.detections[object_id] = detection
        return object_id

    def deregister(self, object_id: int) -> None:
        """Stop tracking ``object_id`` (its trajectory and class votes are kept)."""
        del self.objects[object_id]
        del self.disappeared[object_id]
        self.detections.pop(object_id, None)

    def update(self, detections: Iterable[dict] | None, frame_index: int | None = None
               ) -> TrackedObjects:
        """Match this frame's detections; return the objects matched in this frame only."""
        frame = self._frame(frame_index)
        dets = clean_detections(detections)
        ids = list(self.objects)
        matched: dict[int, int] = {}  # detection index -> object id
        if ids and dets:
            distances = cdist(np.stack([self.objects[i] for i in ids]),
                              np.array([d["center"] for d in dets]))
            matched = {c: ids[r] for r, c in greedy_pairs(distances, self.max_distance)}
        for object_id in set(ids) - set(matched.values()):
            self.disappeared[object_id] += 1
            if self.disappeared[object_id] > self.max_disappeared:
                self.deregister(object_id)
        output: TrackedObjects = OrderedDict()
        for j, det in enumerate(dets):
            object_id = matched.get(j)
            if object_id is None:
                object_id = self.register(det["center"], det)
            self.objects[object_id] = np.asarray(det["center"], dtype=float)
            self.disappeared[object_id] = 0
            self.detections[object_id] = det
            self._record(object_id, det, frame)
            output[object_id] = self._output(object_id, det)
        return OrderedDict(sorted(output.items()))
