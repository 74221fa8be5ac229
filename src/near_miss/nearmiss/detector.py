"""``NearMissDetector``: pairwise near-miss logic of Task 1.4 with the filters of Task 1.6.

Per processed frame, for every pair of objects the tracker matched in that frame:

1. proximity: centroid distance (or the edge-to-edge gap, ``distance_metric="edge"``)
   below ``proximity_threshold``, or the boxes overlap (IoU > 0);
2. TTC = distance / closing speed along the line of centres below ``ttc_threshold``
   (infinite when separating or when either object has no velocity yet);
3. closing speed above ``closing_speed_threshold``.

Two or more criteria make a candidate. A candidate is dropped when the same pair logged an
event within ``debounce_frames`` source frames, or when any enabled filter rejects it
(then kept in ``.rejected``, column ``filter`` = the rejecting filters joined by "+",
debounced alike); otherwise it is logged.

Units: pixels, seconds and px/s; with a :class:`GroundCalibration` positions are the
boxes' ground points in metres, so every threshold and speed is in m and m/s (pass
thresholds in metres then). Each event says which in its ``units`` field.
"""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from near_miss.nearmiss import geometry as geo
from near_miss.nearmiss.calibration import GroundCalibration
from near_miss.nearmiss.events import events_dataframe, print_summary
from near_miss.nearmiss.filters import FilterConfig, PairEvidence, rejecting_filters
from near_miss.nearmiss.kinematics import KinematicsTracker, Motion, Vec
from near_miss.nearmiss.risk import risk_level, risk_score


class NearMissInputWarning(UserWarning):
    """A frame or an object was skipped because its data were unusable."""


@dataclass(frozen=True)
class Observation:
    """One tracked object at the current frame, validated."""

    object_id: int
    cls: str
    bbox: tuple[float, float, float, float]
    center: Vec
    confidence: float


@dataclass(frozen=True)
class PairMetrics:
    distance: float  # the distance judged against proximity_threshold (units)
    centroid_px: float
    iou: float
    edge_px: float
    closing: float  # units/s, 0 when a velocity is unknown
    ttc: float
    criteria: tuple[str, ...]  # which of proximity / ttc / closing hold

    @property
    def proximate(self) -> bool:
        return "proximity" in self.criteria


class NearMissDetector:
    """Find near misses between tracked objects, frame by frame (see the module docstring).

    ``fps`` is the source video's frame rate and ``stride`` the processing stride, so a
    processed frame lasts ``stride / fps`` s; times come from frame indices (``index /
    fps``), which also copes with irregular gaps. ``reference_speed`` scales the closing
    speed in the risk score (see ``near_miss.nearmiss.risk``); ``max_speed`` (units/s)
    above which a jump means a reused ID (default 1500 px/s or 70 m/s).
    """

    def __init__(
        self,
        fps: float,
        stride: int = 2,
        proximity_threshold: float = 100.0,
        ttc_threshold: float = 2.0,
        closing_speed_threshold: float = 50.0,
        debounce_frames: int = 30,
        filters: FilterConfig | bool | None = None,
        calibration: GroundCalibration | None = None,
        reference_speed: float | None = None,
        distance_metric: str = "centroid",
        max_speed: float | None = None,
    ) -> None:
        _check_settings(fps, stride, proximity_threshold, ttc_threshold, distance_metric)
        if calibration is not None and distance_metric == "edge":
            raise ValueError("distance_metric='edge' is a pixel measure: not with a calibration")
        self.fps, self.stride = float(fps), int(stride)
        self.proximity_threshold = float(proximity_threshold)
        self.ttc_threshold = float(ttc_threshold)
        self.closing_speed_threshold = float(closing_speed_threshold)
        self.reference_speed = float(reference_speed or 4.0 * closing_speed_threshold)
        self.debounce_frames = int(debounce_frames)
        self.filters = FilterConfig.coerce(filters)
        self.calibration = calibration
        self.units = calibration.units if calibration else "px"
        self.distance_metric = distance_metric
        self.kinematics = KinematicsTracker(
            self.fps,
            frame_time=self.stride / self.fps,
            window=self.filters.stationary_window_frames,
            max_speed=max_speed or (70.0 if calibration else 1500.0),
            max_gap_frames=10 * self.stride,
        )
        self.events: list[dict] = []
        self.rejected: list[dict] = []  # candidates a filter discarded, with key "filter"
        self.skipped = {"frames": 0, "objects": 0}
        self._prev_frame: int | None = None
        self._streak: dict[tuple[int, int], tuple[int, int]] = {}  # pair -> (frame, count)
        self._last_logged: dict[tuple[int, int], int] = {}
        self._last_rejected: dict[tuple[int, int], int] = {}

    # ----------------------------------------------------------------- per frame
    def process_frame(self, frame_index: int, tracked_objects: Mapping | None) -> list[dict]:
        """Analyse one processed frame; return the events newly logged at it."""
        problem = None
        if not isinstance(frame_index, numbers.Integral) or frame_index < 0:
            problem = "the frame index must be an integer >= 0"
        elif self._prev_frame is not None and frame_index <= self._prev_frame:
            problem = f"not after frame {self._prev_frame}"
        if problem:
            self._warn(f"frame {frame_index!r} skipped: {problem}")
            self.skipped["frames"] += 1
            return []
        objects = self._validate(frame_index, tracked_objects)
        positions = {oid: (self._position(o), o.cls) for oid, o in objects.items()}
        motions = self.kinematics.update(frame_index, positions)
        new_events = []
        for a, b in itertools.combinations(sorted(objects), 2):
            event = self._assess_pair(frame_index, objects[a], objects[b], motions[a], motions[b])
            if event is not None:
                new_events.append(event)
        self._forget(frame_index)
        self._prev_frame = frame_index
        self.events.extend(new_events)
        return new_events

    def _assess_pair(self, frame_index, oa, ob, ma, mb) -> dict | None:
        key = (oa.object_id, ob.object_id)
        metrics = self._metrics(oa, ob, ma, mb)
        if self.filters.confirm_condition == "proximity":
            streak = self._update_streak(key, frame_index, metrics.proximate)
        else:
            streak = self._update_streak(key, frame_index, len(metrics.criteria) >= 2)
        if len(metrics.criteria) < 2:
            return None
        if frame_index - self._last_logged.get(key, -math.inf) < self.debounce_frames:
            return None
        reasons = rejecting_filters(self.filters, self._evidence(oa, ob, ma, mb, streak))
        event = self._event(frame_index, oa, ob, ma, mb, metrics)
        if not reasons:
            self._last_logged[key] = frame_index
            return event
        if frame_index - self._last_rejected.get(key, -math.inf) >= self.debounce_frames:
            self._last_rejected[key] = frame_index
            self.rejected.append({**event, "filter": "+".join(reasons)})
        return None

    def _metrics(self, oa, ob, ma: Motion, mb: Motion) -> PairMetrics:
        centroid_px = geo.centroid_distance(oa.center, ob.center)
        edge_px = geo.edge_distance(oa.bbox, ob.bbox)
        overlap = geo.iou(oa.bbox, ob.bbox)
        distance = geo.centroid_distance(ma.position, mb.position)
        closing = 0.0
        if ma.known and mb.known:
            closing = geo.closing_speed(ma.position, ma.velocity, mb.position, mb.velocity)
        ttc = geo.time_to_collision(distance, closing)
        judged = edge_px if self.distance_metric == "edge" else distance
        flags = {
            "proximity": judged < self.proximity_threshold or overlap > 0.0,
            "ttc": ttc < self.ttc_threshold,
            "closing": closing > self.closing_speed_threshold,
        }
        criteria = tuple(name for name, hit in flags.items() if hit)
        return PairMetrics(judged, centroid_px, overlap, edge_px, closing, ttc, criteria)

    def _update_streak(self, key: tuple[int, int], frame_index: int, met: bool) -> int:
        """Consecutive processed frames (this one included) meeting the confirm condition."""
        last_frame, count = self._streak.get(key, (None, 0))
        count = (count + 1 if last_frame == self._prev_frame else 1) if met else 0
        self._streak[key] = (frame_index, count)
        return count

    def _evidence(self, oa, ob, ma: Motion, mb: Motion, streak: int) -> PairEvidence:
        mean_closing = geo.closing_speed(
            ma.position, ma.mean_velocity, mb.position, mb.mean_velocity
        )
        return PairEvidence(
            confidence_1=oa.confidence,
            confidence_2=ob.confidence,
            confirm_streak=streak,
            mean_speed_1=ma.mean_speed_per_frame,
            mean_speed_2=mb.mean_speed_per_frame,
            mean_heading_1=ma.mean_heading_deg,
            mean_heading_2=mb.mean_heading_deg,
            mean_closing_per_frame=mean_closing * self.stride / self.fps,
        )

    def _event(self, frame_index, oa, ob, ma: Motion, mb: Motion, m: PairMetrics) -> dict:
        score = risk_score(
            m.distance,
            m.ttc,
            m.closing,
            proximity_threshold=self.proximity_threshold,
            ttc_threshold=self.ttc_threshold,
            reference_speed=self.reference_speed,
        )
        cpa_t, cpa_d = geo.closest_point_of_approach(
            ma.position, ma.velocity, mb.position, mb.velocity
        )
        return {
            "frame_index": int(frame_index),
            "timestamp_sec": frame_index / self.fps,
            "object_id_1": int(oa.object_id),
            "object_id_2": int(ob.object_id),
            "class_1": oa.cls,
            "class_2": ob.cls,
            "distance_px": m.centroid_px,
            "ttc_sec": m.ttc,
            "risk_score": score,
            "risk_level": risk_level(score),
            "units": self.units,
            "distance": m.distance,
            "closing_speed": m.closing,
            "speed_1": ma.speed,
            "speed_2": mb.speed,
            "heading_1": ma.heading_deg,
            "heading_2": mb.heading_deg,
            "iou": m.iou,
            "edge_distance_px": m.edge_px,
            "cpa_time_sec": cpa_t,
            "cpa_distance": cpa_d,
            "pet_sec": self._pet(oa.object_id, ob.object_id, ma, mb),
            "criteria": "+".join(m.criteria),
            "confidence_1": oa.confidence,
            "confidence_2": ob.confidence,
        }

    def _pet(self, a: int, b: int, ma: Motion, mb: Motion) -> float:
        """PET of the observed paths extended at constant velocity for 3 x ttc_threshold."""
        horizon = 3.0 * self.ttc_threshold
        paths = []
        for oid, motion in ((a, ma), (b, mb)):
            path = self.kinematics.path(oid)
            t, x, y = path[-1]
            vx, vy = motion.velocity
            ahead = (t + horizon, x + vx * horizon, y + vy * horizon)
            paths.append(np.vstack([path, ahead]) if motion.known else path)
        return geo.post_encroachment_time(*paths)

    # ----------------------------------------------------------------- input checks
    def _position(self, obs: Observation) -> Vec:
        return self.calibration.ground_point(obs.bbox) if self.calibration else obs.center

    def _validate(self, frame_index: int, tracked: Mapping | None) -> dict[int, Observation]:
        if not isinstance(tracked, Mapping) or not tracked:
            self._warn("frame(s) with no tracked objects skipped (empty or not a mapping)")
            self.skipped["frames"] += 1
            return {}
        objects = {}
        for oid, obj in tracked.items():
            obs, problem = _observation(oid, obj)
            if problem:
                self._warn(f"frame {frame_index}: object {oid!r} skipped: {problem}")
                self.skipped["objects"] += 1
            else:
                objects[obs.object_id] = obs
        return objects

    @staticmethod
    def _warn(message: str) -> None:
        warnings.warn(message, NearMissInputWarning, stacklevel=4)

    def _forget(self, frame_index: int) -> None:
        """Drop per-pair state that can no longer matter."""
        self._streak = {k: v for k, v in self._streak.items() if v[0] == frame_index}
        horizon = frame_index - self.debounce_frames
        for table in (self._last_logged, self._last_rejected):
            for key in [k for k, f in table.items() if f <= horizon]:
                del table[key]

    # ----------------------------------------------------------------- results
    def events_dataframe(self) -> pd.DataFrame:
        """All logged events, sorted by timestamp."""
        return events_dataframe(self.events)

    def rejected_dataframe(self) -> pd.DataFrame:
        """Candidates discarded by filters (column ``filter`` names them), sorted by time."""
        return events_dataframe(self.rejected)

    def summary(self, top: int = 3) -> str:
        """Print and return the total, the breakdown by risk level and the top events."""
        return print_summary(self.events, top)


def _check_settings(fps, stride, proximity, ttc, metric) -> None:
    if not (isinstance(fps, numbers.Real) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if int(stride) < 1:
        raise ValueError(f"stride must be >= 1, got {stride!r}")
    if proximity <= 0 or ttc <= 0:
        raise ValueError("proximity_threshold and ttc_threshold must be > 0")
    if metric not in ("centroid", "edge"):
        raise ValueError(f"distance_metric must be 'centroid' or 'edge', got {metric!r}")


def _observation(oid, obj) -> tuple[Observation | None, str | None]:
    """Validate one tracker entry: ``(observation, None)`` or ``(None, problem)``."""
    if not isinstance(oid, numbers.Integral) or isinstance(oid, bool):
        return None, "object ID is not an integer"
    if not isinstance(obj, Mapping) or not {"class", "bbox", "center", "confidence"} <= set(obj):
        return None, "needs keys class, bbox, center, confidence"
    try:
        bbox = tuple(float(v) for v in obj["bbox"])
        center = tuple(float(v) for v in obj["center"])
        confidence = float(obj["confidence"])
    except (TypeError, ValueError):
        return None, "bbox, center and confidence must be numbers"
    if len(bbox) != 4 or len(center) != 2:
        return None, "bbox needs 4 numbers and center 2"
    if not all(math.isfinite(v) for v in (*bbox, *center, confidence)):
        return None, "NaN or infinite coordinate/confidence"
    if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
        return None, f"zero-size box {list(bbox)}"
    return Observation(int(oid), str(obj["class"]), bbox, center, confidence), None
