"""Detection agreement between two detectors, and tracks replayed as tracker output.

Detection recall: on every frame, a candidate's detections are matched one-to-one to the
reference detections of the same class (Hungarian assignment on IoU); recall is the share of
reference detections matched with IoU >= 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from near_miss.tracking.sort import iou_matrix

RECALL_IOU = 0.5
BOX = ["x1", "y1", "x2", "y2"]


def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else math.nan


def _by_frame(table: pd.DataFrame) -> dict[int, pd.DataFrame]:
    return {int(k): g for k, g in table.groupby("frame_index")}


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
