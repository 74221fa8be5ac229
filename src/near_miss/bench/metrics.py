"""Quality measures of the benchmark: missed near-miss events and detection recall.

Both compare a configuration with the reference run (PyTorch, 640x640, stride 1) on the
same video.

Missed events. Object IDs are not comparable across runs (each run's tracker numbers its
objects itself), so a configuration's event is first translated into reference IDs: at the
event's frame (which the stride-1 reference also processed) each of its two boxes is given
the ID of the reference track whose box overlaps it most (IoU >= ``ID_IOU``). A reference
event is found when a configuration event has the same pair of classes, lies within
``window_s`` (1 s) of it and translates to the same pair of reference IDs; matching is
one-to-one, closest in time first. ``missed_class_time_pct`` drops the ID condition (classes
and time only), the looser reading.

Detection recall. On every frame the configuration processed, its detections are matched
one-to-one to the reference detections of the same class (Hungarian assignment on IoU);
recall is the share of reference detections matched with IoU >= 0.5.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from near_miss.tracking.sort import iou_matrix

TARGET_FPS = 30.0  # the benchmark's speed bar (spec: >= 15 fps end to end)
MAX_MISSED_PCT = 10.0  # the benchmark's quality bar
ID_IOU = 0.3
RECALL_IOU = 0.5
BOX = ["x1", "y1", "x2", "y2"]


@dataclass(frozen=True)
class EventMatch:
    reference: int  # reference events
    candidates: int  # the configuration's events
    found: int  # reference events matched with IDs
    found_class_time: int  # reference events matched on classes and time only

    @property
    def missed_pct(self) -> float:
        return _pct(self.reference - self.found, self.reference)

    @property
    def missed_class_time_pct(self) -> float:
        return _pct(self.reference - self.found_class_time, self.reference)


def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else math.nan


def _by_frame(table: pd.DataFrame) -> dict[int, pd.DataFrame]:
    return {int(k): g for k, g in table.groupby("frame_index")}


def _reference_id(box: np.ndarray, reference: pd.DataFrame | None) -> int | None:
    if reference is None or reference.empty:
        return None
    overlaps = iou_matrix(box[None], reference[BOX].to_numpy(float))[0]
    best = int(np.argmax(overlaps))
    return int(reference["object_id"].iloc[best]) if overlaps[best] >= ID_IOU else None


def translate_ids(events: pd.DataFrame, tracks: pd.DataFrame,
                  reference_tracks: pd.DataFrame) -> list[tuple[int | None, int | None]]:
    """Each event's ``(object_id_1, object_id_2)`` as reference IDs (None: no overlap)."""
    own, ref = _by_frame(tracks), _by_frame(reference_tracks)
    pairs = []
    for ev in events.itertuples(index=False):
        at = own.get(int(ev.frame_index), tracks.iloc[:0]).set_index("object_id")
        ids = []
        for oid in (ev.object_id_1, ev.object_id_2):
            box = at.loc[[int(oid)], BOX].to_numpy(float)[0] if int(oid) in at.index else None
            ids.append(None if box is None else _reference_id(box, ref.get(int(ev.frame_index))))
        pairs.append(tuple(ids))
    return pairs


def _classes(ev) -> tuple[str, str]:
    return tuple(sorted((ev.class_1, ev.class_2)))


def _count_matches(reference: pd.DataFrame, candidate: pd.DataFrame, window_s: float,
                   candidate_ids: list | None) -> int:
    """One-to-one matches, closest in time first; IDs compared when ``candidate_ids``."""
    options = []
    for i, r in enumerate(reference.itertuples(index=False)):
        ref_pair = {int(r.object_id_1), int(r.object_id_2)}
        for j, c in enumerate(candidate.itertuples(index=False)):
            dt = abs(r.timestamp_sec - c.timestamp_sec)
            if dt > window_s or _classes(r) != _classes(c):
                continue
            if candidate_ids is not None and set(candidate_ids[j]) != ref_pair:
                continue
            options.append((dt, i, j))
    used_r, used_c = set(), set()
    for _, i, j in sorted(options):
        if i not in used_r and j not in used_c:
            used_r.add(i)
            used_c.add(j)
    return len(used_r)


def match_events(reference: pd.DataFrame, candidate: pd.DataFrame,
                 reference_tracks: pd.DataFrame, candidate_tracks: pd.DataFrame,
                 window_s: float = 1.0) -> EventMatch:
    """How many reference events the candidate run found (see the module docstring)."""
    ids = translate_ids(candidate, candidate_tracks, reference_tracks)
    return EventMatch(
        len(reference), len(candidate),
        _count_matches(reference, candidate, window_s, ids),
        _count_matches(reference, candidate, window_s, None),
    )


def _matched(ref: pd.DataFrame, cand: pd.DataFrame, min_iou: float) -> int:
    from scipy.optimize import linear_sum_assignment

    total = 0
    for cls, ref_cls in ref.groupby("class"):
        cand_cls = cand[cand["class"] == cls]
        if cand_cls.empty:
            continue
        iou = iou_matrix(ref_cls[BOX].to_numpy(float), cand_cls[BOX].to_numpy(float))
        rows, cols = linear_sum_assignment(iou, maximize=True)
        total += int((iou[rows, cols] >= min_iou).sum())
    return total


def detection_recall(reference: pd.DataFrame, candidate: pd.DataFrame,
                     frames: Iterable[int], min_iou: float = RECALL_IOU) -> float:
    """Share (%) of the reference detections on ``frames`` that the candidate also found."""
    ref, cand = _by_frame(reference), _by_frame(candidate)
    found = total = 0
    for f in frames:
        r = ref.get(int(f))
        if r is None:
            continue
        total += len(r)
        c = cand.get(int(f))
        if c is not None:
            found += _matched(r, c, min_iou)
    return _pct(found, total)


def tracked_frames(tracks: pd.DataFrame, frame_indices: Iterable[int]) -> list[tuple[int, dict]]:
    """The tracker's per-frame output rebuilt from a tracks table, for replaying the near-miss
    logic (e.g. filters on vs off); frames without objects give an empty mapping."""
    by_frame = _by_frame(tracks)
    frames = []
    for f in frame_indices:
        objects: OrderedDict[int, dict] = OrderedDict()
        rows = by_frame.get(int(f))
        for r in [] if rows is None else rows.to_dict("records"):
            objects[int(r["object_id"])] = {
                "class": r["class"], "coco_class": r["coco_class"],
                "bbox": [r["x1"], r["y1"], r["x2"], r["y2"]], "center": (r["cx"], r["cy"]),
                "confidence": r["confidence"]}
        frames.append((int(f), objects))
    return frames
