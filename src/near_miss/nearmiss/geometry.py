"""Pairwise geometry: distances, IoU, edge gap, closing speed, TTC, CPA and PET.

Points and velocities are ``(x, y)`` pairs in one unit (pixels, or metres once calibrated);
boxes are ``[x1, y1, x2, y2]`` in pixels. Every function is pure and safe on degenerate input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Point = tuple[float, float]
Box = Sequence[float]


def centroid_distance(a: Point, b: Point) -> float:
    """Euclidean distance between two points."""
    return math.hypot(b[0] - a[0], b[1] - a[1])


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0.0 when disjoint or degenerate)."""
    inter_w = min(a[2], b[2]) - max(a[0], b[0])
    inter_h = min(a[3], b[3]) - max(a[1], b[1])
    if inter_w <= 0 or inter_h <= 0:
        return 0.0
    inter = inter_w * inter_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def edge_distance(a: Box, b: Box) -> float:
    """Shortest gap between the borders of two boxes (0.0 when they touch or overlap).

    Unlike the centroid distance it does not grow with object size, so a bus and a
    pedestrian a metre apart are as close as two pedestrians a metre apart.
    """
    gap_x = max(0.0, max(a[0], b[0]) - min(a[2], b[2]))
    gap_y = max(0.0, max(a[1], b[1]) - min(a[3], b[3]))
    return math.hypot(gap_x, gap_y)


def closing_speed(p1: Point, v1: Point, p2: Point, v2: Point) -> float:
    """Rate at which the distance between the two points shrinks (negative = separating).

    It is the component of the relative velocity along the line of centres. Coincident
    points have no line of centres: the closing speed is then 0.
    """
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    dist = math.hypot(dx, dy)
    if dist == 0.0:
        return 0.0
    rvx, rvy = v2[0] - v1[0], v2[1] - v1[1]
    return -(dx * rvx + dy * rvy) / dist


def time_to_collision(distance: float, closing: float) -> float:
    """``distance / closing`` in seconds; infinity when the objects are not closing."""
    if closing <= 0.0 or not math.isfinite(closing):
        return math.inf
    return distance / closing


def closest_point_of_approach(p1: Point, v1: Point, p2: Point, v2: Point) -> tuple[float, float]:
    """Time (s, >= 0) until the objects are closest under constant velocity, and that distance.

    When they are already separating the closest point is now: ``(0.0, current distance)``.
    """
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    rvx, rvy = v2[0] - v1[0], v2[1] - v1[1]
    rv2 = rvx * rvx + rvy * rvy
    t = 0.0 if rv2 == 0.0 else max(0.0, -(dx * rvx + dy * rvy) / rv2)
    return t, math.hypot(dx + rvx * t, dy + rvy * t)


def _segments_near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Indices of the segments of polyline ``a`` whose bounding box meets ``b``'s."""
    lo, hi = b.min(axis=0), b.max(axis=0)
    start, end = a[:-1], a[1:]
    near = (np.maximum(start, end) >= lo) & (np.minimum(start, end) <= hi)
    return np.nonzero(near.all(axis=1))[0]


def _segment_crossings(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices and fractions of proper crossings between polylines ``a`` and ``b`` (N x 2).

    A crossing lies within both polylines' bounding boxes, so only the segments of each that
    reach into the other's box are compared: the same crossings, at a cost that stays small
    when long paths are mostly apart (at stride 1 an object's 6 s path has 150 segments)."""
    ia, ib = _segments_near(a, b), _segments_near(b, a)
    p, r = a[:-1][ia][:, None, :], (a[1:] - a[:-1])[ia][:, None, :]
    q, s = b[:-1][ib][None, :, :], (b[1:] - b[:-1])[ib][None, :, :]
    denom = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]
    qp = q - p
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[..., 0] * s[..., 1] - qp[..., 1] * s[..., 0]) / denom
        u = (qp[..., 0] * r[..., 1] - qp[..., 1] * r[..., 0]) / denom
    ok = (denom != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    i, j = np.nonzero(ok)
    return np.stack([ia[i], ib[j]], axis=1), np.stack([t[i, j], u[i, j]], axis=1)


def post_encroachment_time(path1: np.ndarray, path2: np.ndarray) -> float:
    """Post-encroachment time (s) of two timed paths, or NaN when the paths do not cross.

    ``path1``/``path2`` are arrays of rows ``(t, x, y)`` ordered by time (observed history,
    optionally extended by a constant-velocity prediction). PET is the time between the
    first object passing the crossing point and the second one reaching it; with several
    crossings the smallest PET is returned.
    """
    if len(path1) < 2 or len(path2) < 2:
        return math.nan
    idx, frac = _segment_crossings(path1[:, 1:], path2[:, 1:])
    if len(idx) == 0:
        return math.nan
    t1 = path1[idx[:, 0], 0] + frac[:, 0] * (path1[idx[:, 0] + 1, 0] - path1[idx[:, 0], 0])
    t2 = path2[idx[:, 1], 0] + frac[:, 1] * (path2[idx[:, 1] + 1, 0] - path2[idx[:, 1], 0])
    return float(np.min(np.abs(t1 - t2)))


def box_time_to_contact(a: Box, va: Point, b: Box, vb: Point, min_speed: float = 0.0) -> float:
    """Seconds until two boxes moving at constant velocity first touch (0.0 when they already
    overlap; infinity when they never touch).

    Per axis, the interval of ``b`` relative to ``a`` overlaps during ``[enter, leave]``; the
    boxes touch when both axes overlap at once, i.e. from ``max(enter)`` to ``min(leave)``.
    A relative speed below ``min_speed`` on an axis is taken as none (detector jitter must
    not bring two cars in adjacent lanes "into contact"). Unlike distance / closing speed
    along the line of centres it is finite only for pairs on a collision course: two cars
    passing in adjacent lanes never touch.
    """
    enter, leave = 0.0, math.inf
    for lo, hi, v in ((0, 2, vb[0] - va[0]), (1, 3, vb[1] - va[1])):
        # b[lo] + v t < a[hi]  and  b[hi] + v t > a[lo]
        if abs(v) <= min_speed:
            if b[lo] >= a[hi] or b[hi] <= a[lo]:
                return math.inf
            continue
        t1, t2 = (a[hi] - b[lo]) / v, (a[lo] - b[hi]) / v
        enter, leave = max(enter, min(t1, t2)), min(leave, max(t1, t2))
    return enter if enter <= leave and leave > 0.0 else math.inf
